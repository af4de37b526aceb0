"""What a GOV.UK form sent back with mistakes shows, on every page of ours that has a form:
the error summary pattern (design-system.service.gov.uk/components/error-summary)."""

from __future__ import annotations


def error_page(response, errors: dict[str, str], title: str = "") -> str:
    """The answer is 400, with "Error: " before the page title, "There is a problem", and a link
    from the summary to each field in `errors` with its message. Returns the page's HTML."""
    assert response.status_code == 400, response.status_code
    html = response.get_data(as_text=True)
    assert f"<title>Error: {title}" in html
    assert "There is a problem" in html
    for field, message in errors.items():
        assert f'<a href="#{field}">{message}</a>' in html, (field, message)
    return html
