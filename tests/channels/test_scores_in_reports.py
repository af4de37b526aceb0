"""Scores given by text and by keypad reach the supervisors' satisfaction measure by channel."""

from __future__ import annotations

from reports import kpis
from reports.kpis import ALL, Average
from tests.channels.test_sms import _closed_by_advisor, text
from tests.channels.test_voice import _helped_then_goodbye

PHONE, SMS, WEB = ("channel", "phone"), ("channel", "sms"), ("channel", "web")


def test_sms_and_phone_scores_appear_in_the_satisfaction_measure(twilio, phone, fake_rasa, db,
                                                                 router):
    # A texter is helped by an advisor, who closes the conversation; they reply "2".
    _closed_by_advisor(twilio, db)
    assert text(twilio, "2") == [
        "Thank you for your score. It helps us improve. Reply PERSON if you need more help."]
    # A caller the assistant helped presses 5; a web resident rates 4 on the page.
    _helped_then_goodbye(phone, fake_rasa)
    phone.post("/voice/score", Digits="5")
    web = router.start("web", session_key="k" * 32)
    router.rate(web, 4)

    with db.session() as s:
        report = kpis.compute(s)
    assert report.satisfaction[SMS] == Average(2, 1)
    assert report.satisfaction[PHONE] == Average(5, 1)
    assert report.satisfaction[WEB] == Average(4, 1)
    assert report.satisfaction[ALL] == Average(11, 3)
    # The supervisors' CSV download carries the same figures.
    rows = list(kpis.csv_rows(report, "satisfaction"))
    assert ["channel", "phone", "average score", 5, 1, "5.0000"] in rows
    assert ["channel", "sms", "average score", 2, 1, "2.0000"] in rows
