/* Advisor console: progressive enhancement only. Every page works without this file.
 *
 * - The queue (/advisor) re-renders its tables from /advisor/api/queue every second.
 * - A conversation page appends new messages from /advisor/api/conversation/<id>?after=<id>
 *   every second, sends replies without reloading, and puts saved replies into the reply box.
 *
 * Text from residents is only ever set with textContent, never as HTML.
 */
(function () {
  "use strict";

  var POLL_MS = 1000;
  var HIDDEN_POLL_MS = 5000;
  var MAX_BACKOFF_MS = 15000;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function visuallyHidden(text) {
    return el("span", "govuk-visually-hidden", text);
  }

  function getJSON(url, loginUrl) {
    return fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      cache: "no-store"
    }).then(function (response) {
      if (response.status === 401) {
        window.location.assign(loginUrl);
        throw new Error("signed out");
      }
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
  }

  /* Calls `tick` every second (every 5 s in a background tab), backing off on errors. */
  function poll(tick) {
    var failures = 0;
    function schedule() {
      var delay = document.hidden ? HIDDEN_POLL_MS : POLL_MS;
      if (failures) delay = Math.min(MAX_BACKOFF_MS, POLL_MS * Math.pow(2, failures));
      window.setTimeout(run, delay);
    }
    function run() {
      tick().then(function () { failures = 0; }, function () { failures += 1; }).then(schedule);
    }
    schedule();
  }

  /* --- the queue ------------------------------------------------------------------------ */

  function priorityTag(row) {
    var colour = row.priority === 1 ? "red" : row.priority === 2 ? "orange" : "grey";
    return el("strong", "govuk-tag govuk-tag--" + colour, row.priority_label);
  }

  function actionForm(action, label, ticketId, csrf) {
    var form = el("form", "govuk-!-margin-top-2");
    form.method = "post";
    form.action = action;
    form.noValidate = true;
    var token = el("input");
    token.type = "hidden";
    token.name = "csrf_token";
    token.value = csrf;
    var button = el("button", "govuk-button govuk-button--secondary govuk-!-margin-bottom-0", label);
    button.type = "submit";
    button.appendChild(visuallyHidden(" conversation " + ticketId));
    form.appendChild(token);
    form.appendChild(button);
    return form;
  }

  function ticketRow(row, claimable, csrf) {
    var tr = el("tr", "govuk-table__row");
    tr.setAttribute("data-ticket-id", row.id);
    var cells = [priorityTag(row), row.reason_label, row.channel_label, row.waiting_text, row.snippet];
    cells.forEach(function (content) {
      var td = el("td", "govuk-table__cell");
      if (typeof content === "string") td.textContent = content;
      else td.appendChild(content);
      tr.appendChild(td);
    });
    var action = el("td", "govuk-table__cell");
    var link = el("a", "govuk-link", claimable ? "View" : "Continue");
    link.href = row.url;
    link.appendChild(visuallyHidden(" conversation " + row.id));
    action.appendChild(link);
    if (claimable) {
      action.appendChild(row.take_call_url
        ? actionForm(row.take_call_url, "Take call", row.id, csrf)
        : actionForm(row.claim_url, "Claim", row.id, csrf));
    }
    tr.appendChild(action);
    return tr;
  }

  function renderRows(tbody, rows, csrf) {
    var claimable = tbody.getAttribute("data-claimable") === "true";
    // Keep the DOM (and keyboard focus) untouched when nothing changed.
    var signature = JSON.stringify(rows.map(function (r) { return [r.id, r.waiting_text, r.snippet]; }));
    if (tbody.getAttribute("data-signature") === signature) return;
    var focused = document.activeElement;
    var focusedTicket = focused && tbody.contains(focused)
      ? focused.closest("tr") && focused.closest("tr").getAttribute("data-ticket-id") : null;
    var fragment = document.createDocumentFragment();
    if (!rows.length) {
      var tr = el("tr", "govuk-table__row");
      var td = el("td", "govuk-table__cell", tbody.getAttribute("data-empty-text"));
      td.colSpan = 6;
      tr.appendChild(td);
      fragment.appendChild(tr);
    }
    rows.forEach(function (row) { fragment.appendChild(ticketRow(row, claimable, csrf)); });
    while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
    tbody.appendChild(fragment);
    tbody.setAttribute("data-signature", signature);
    if (focusedTicket) {
      var again = tbody.querySelector('tr[data-ticket-id="' + focusedTicket + '"] a');
      if (again) again.focus();
    }
  }

  function queueStatusText(data) {
    var waiting = data.count === 0 ? "No one is waiting."
      : data.count === 1 ? "1 resident is waiting." : data.count + " residents are waiting.";
    var available = data.advisors_available === 1 ? "1 advisor is available."
      : data.advisors_available + " advisors are available.";
    return waiting + " " + available;
  }

  function initQueue(root) {
    var url = root.getAttribute("data-url");
    var loginUrl = root.getAttribute("data-login-url");
    var csrf = root.getAttribute("data-csrf");
    var waitingBody = root.querySelector('[data-queue-table="waiting"] tbody');
    var mineBody = root.querySelector('[data-queue-table="mine"] tbody');
    var status = root.querySelector("[data-queue-status]");
    poll(function () {
      return getJSON(url, loginUrl).then(function (data) {
        renderRows(waitingBody, data.tickets, csrf);
        renderRows(mineBody, data.mine, csrf);
        var text = queueStatusText(data);
        if (status.textContent.trim() !== text) status.textContent = text;
      });
    });
  }

  /* --- a conversation ------------------------------------------------------------------- */

  function messageItem(msg) {
    var li = el("li", "console-message console-message--" + msg.sender);
    li.setAttribute("data-message-id", msg.id);
    var meta = el("p", "govuk-body-s govuk-!-margin-bottom-1");
    meta.appendChild(el("strong", null, msg.sender_label));
    meta.appendChild(document.createTextNode(" "));
    meta.appendChild(el("span", "govuk-hint govuk-!-display-inline", msg.time));
    li.appendChild(meta);
    li.appendChild(el("p", "govuk-body console-message__text", msg.text));
    return li;
  }

  function statusText(data) {
    var t = data.ticket;
    if (t.status === "queued") return "Waiting for an advisor.";
    if (t.mine) return "You are handling this conversation.";
    if (t.status === "claimed") return (t.advisor || "Another advisor") + " is handling this conversation.";
    return "Closed" + (t.outcome ? ": " + String(t.outcome).replace(/_/g, " ") : "") + ".";
  }

  function initConversation(root) {
    var url = root.getAttribute("data-url");
    var loginUrl = root.getAttribute("data-login-url");
    var after = parseInt(root.getAttribute("data-after"), 10) || 0;
    var status = root.getAttribute("data-status");
    var mine = root.getAttribute("data-mine") === "true";
    var list = root.querySelector("[data-transcript]");
    var statusLine = root.querySelector("[data-conversation-status]");

    function tick() {
      return getJSON(url + "?after=" + after, loginUrl).then(function (data) {
        data.messages.forEach(function (msg) {
          if (msg.id <= after || list.querySelector('[data-message-id="' + msg.id + '"]')) return;
          list.appendChild(messageItem(msg));
          after = msg.id;
        });
        after = Math.max(after, data.last_id || 0);
        if (data.ticket.status !== status || data.ticket.mine !== mine) {
          status = data.ticket.status;
          mine = data.ticket.mine;
          statusLine.textContent = statusText(data);
          if (status !== "queued") {
            var claim = root.querySelector("[data-claim-actions]");
            if (claim) claim.hidden = true;
          }
          if (!mine) {
            var actions = root.querySelector("[data-mine-actions]");
            if (actions) actions.hidden = true;
          }
        }
      });
    }
    poll(tick);

    var select = root.querySelector("[data-canned]");
    var textarea = root.querySelector("#message");
    if (select && textarea) {
      select.addEventListener("change", function () {
        var option = select.options[select.selectedIndex];
        var text = option && option.getAttribute("data-text");
        if (!text) return;
        textarea.value = textarea.value ? textarea.value.replace(/\s*$/, " ") + text : text;
        select.selectedIndex = 0;  // inserted, so it is not also sent as a saved reply
        textarea.focus();
      });
    }

    var form = root.querySelector("[data-reply-form]");
    if (form && window.FormData) {
      var replyStatus = form.querySelector("[data-reply-status]");
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var button = form.querySelector("button[type=submit]");
        button.disabled = true;
        fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          credentials: "same-origin",
          headers: { Accept: "application/json" }
        }).then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (body) {
            if (response.status === 401) window.location.assign(loginUrl);
            if (!response.ok) throw new Error(body.error || "Your reply was not sent. Try again.");
            textarea.value = "";
            if (select) select.selectedIndex = 0;
            replyStatus.textContent = "Reply sent.";
            return tick();
          });
        }).catch(function (error) {
          replyStatus.textContent = error.message;
        }).then(function () {
          button.disabled = false;
          textarea.focus();
        });
      });
    }
  }

  document.querySelectorAll("[data-console-queue]").forEach(initQueue);
  document.querySelectorAll("[data-console-conversation]").forEach(initConversation);
})();
