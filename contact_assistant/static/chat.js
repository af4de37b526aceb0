// The web chat, progressively enhanced. Without this file the chat is plain forms that post and
// re-render the page. With it: messages go to the JSON API without reloading, advisor replies
// arrive by polling once a second, and the session timeout is announced and can be extended.
//
// Rules: text only ever goes into the page with textContent (never innerHTML); no inline styles
// (the CSP forbids them), only classes and the `hidden` attribute; the message log is the only
// live region; focus stays in the message box after sending.
(function () {
  'use strict'

  var root = document.querySelector('[data-chat]')
  if (!root || !window.fetch || !window.JSON) return

  var apiUrl = root.getAttribute('data-api-url')
  var extendUrl = root.getAttribute('data-extend-url')
  var state = root.getAttribute('data-state') || 'bot'
  var lastId = parseInt(root.getAttribute('data-last-id'), 10) || 0
  var sessionSeconds = parseInt(root.getAttribute('data-session-seconds'), 10) || 1800

  var form = root.querySelector('[data-chat-form]')
  var textarea = form.querySelector('textarea')
  var sendButton = form.querySelector('[data-chat-send]')
  var csrfInput = form.querySelector('input[name="csrf_token"]')
  var list = root.querySelector('[data-chat-messages]')
  var empty = root.querySelector('[data-chat-empty]')
  var statusBox = root.querySelector('[data-chat-status]')
  var errorSummary = root.querySelector('[data-error-summary]')
  var errorList = root.querySelector('[data-error-list]')
  var messageGroup = root.querySelector('[data-message-group]')
  var messageError = root.querySelector('[data-message-error]')
  var messageErrorText = root.querySelector('[data-message-error-text]')
  var checkForm = root.querySelector('[data-check-form]')
  var transcriptLink = root.querySelector('[data-transcript-link]')

  var busy = false
  var pollTimer = null
  var POLL_MS = 1000
  var WARN_BEFORE_MS = 2 * 60 * 1000

  // --- talking to the server -------------------------------------------------------------------

  function request (method, url, body) {
    var options = {
      method: method,
      credentials: 'same-origin',
      headers: { Accept: 'application/json' }
    }
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json'
      options.body = JSON.stringify(body)
    }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {} }).then(function (data) {
        if (response.ok) restartSessionTimer()
        return { ok: response.ok, status: response.status, data: data }
      })
    })
  }

  function send (text) {
    if (busy) return Promise.resolve()
    busy = true
    sendButton.setAttribute('aria-disabled', 'true')
    return request('POST', apiUrl, { text: text, after: lastId })
      .then(function (result) {
        if (!result.ok) {
          showError(result.data.error || 'Sorry, your message could not be sent. Try again.')
          return false
        }
        clearError()
        update(result.data)
        return true
      })
      .catch(function () {
        showError('Sorry, your message could not be sent. Check your connection and try again.')
        return false
      })
      .then(function (sent) {
        busy = false
        sendButton.removeAttribute('aria-disabled')
        return sent
      })
  }

  function poll () {
    pollTimer = null
    request('GET', apiUrl + '?after=' + encodeURIComponent(lastId))
      .then(function (result) { if (result.ok) update(result.data) })
      .catch(function () { /* try again on the next tick */ })
      .then(schedulePoll)
  }

  function schedulePoll () {
    if (pollTimer) return
    if (state === 'waiting' || state === 'advisor') pollTimer = window.setTimeout(poll, POLL_MS)
  }

  // --- rendering (the same markup as channels/templates/web/_message.html) ----------------------

  function el (tag, className, text) {
    var node = document.createElement(tag)
    if (className) node.className = className
    if (text !== undefined && text !== null) node.textContent = text
    return node
  }

  function quickReplies (buttons) {
    var f = el('form', 'council-chat__quick-replies')
    f.method = 'post'
    f.action = form.getAttribute('action')
    f.setAttribute('data-quick-replies', '')
    f.noValidate = true
    var token = el('input')
    token.type = 'hidden'
    token.name = 'csrf_token'
    token.value = csrfInput ? csrfInput.value : ''
    f.appendChild(token)
    var ul = el('ul', 'council-chat__buttons')
    buttons.forEach(function (b) {
      var li = el('li')
      var button = el('button', 'govuk-button govuk-button--secondary council-chat__quick-reply', b.title)
      button.type = 'submit'
      button.name = 'payload'
      button.value = b.payload
      li.appendChild(button)
      ul.appendChild(li)
    })
    f.appendChild(ul)
    return f
  }

  function messageItem (m) {
    var li = el('li', 'council-chat__message council-chat__message--' + m.sender)
    li.id = 'message-' + m.id
    li.setAttribute('data-message-id', String(m.id))
    var sender = el('p', 'council-chat__sender', m.label)
    sender.appendChild(el('span', 'govuk-visually-hidden', ':'))
    li.appendChild(sender)
    li.appendChild(el('p', 'council-chat__text', m.text))
    if (m.buttons && m.buttons.length && m.sender === 'bot') li.appendChild(quickReplies(m.buttons))
    if (m.time) {
      var when = el('p', 'council-chat__time')
      when.appendChild(el('span', 'govuk-visually-hidden', 'Sent at '))
      var time = el('time', null, m.time)
      if (m.sent_at) time.setAttribute('dateTime', m.sent_at)
      when.appendChild(time)
      li.appendChild(when)
    }
    return li
  }

  function removeQuickReplies () {
    var forms = list.querySelectorAll('[data-quick-replies]')
    for (var i = 0; i < forms.length; i++) forms[i].parentNode.removeChild(forms[i])
  }

  function appendMessages (messages) {
    messages.forEach(function (m) {
      if (m.id <= lastId || document.getElementById('message-' + m.id)) return
      // Quick replies belong to the assistant's latest turn only.
      if (m.sender === 'resident' || m.sender === 'advisor' || m.sender === 'system') removeQuickReplies()
      list.appendChild(messageItem(m))
      lastId = Math.max(lastId, m.id)
    })
    if (list.children.length) {
      if (empty) empty.hidden = true
      if (transcriptLink) transcriptLink.hidden = false
    }
  }

  function showPanel (name) {
    var panels = statusBox.querySelectorAll('[data-state-panel]')
    for (var i = 0; i < panels.length; i++) {
      panels[i].hidden = panels[i].getAttribute('data-state-panel') !== name
    }
    statusBox.hidden = name === 'bot'
  }

  function update (data) {
    if (data.messages) appendMessages(data.messages)
    if (data.state && data.state !== state) {
      state = data.state
      root.setAttribute('data-state', state)
      if (state !== 'bot') removeQuickReplies()
    }
    showPanel(state)
    if (state === 'waiting' && data.queue) {
      var position = statusBox.querySelector('[data-queue-position]')
      var wait = statusBox.querySelector('[data-queue-wait]')
      if (position && data.queue_text) position.textContent = data.queue_text.position
      if (wait && data.queue_text) wait.textContent = data.queue_text.wait
      var offer = statusBox.querySelector('[data-callback-offer]')
      if (offer) offer.hidden = !data.queue.offer_callback
    }
    if (checkForm) checkForm.hidden = !(state === 'waiting' || state === 'advisor')
    schedulePoll()
  }

  // --- errors (GOV.UK error summary and error message) -----------------------------------------

  function showError (text) {
    while (errorList.firstChild) errorList.removeChild(errorList.firstChild)
    var li = el('li')
    var link = el('a', null, text)
    link.href = '#message'
    li.appendChild(link)
    errorList.appendChild(li)
    errorSummary.hidden = false
    messageGroup.classList.add('govuk-form-group--error')
    textarea.classList.add('govuk-textarea--error')
    messageErrorText.textContent = text
    messageError.hidden = false
    textarea.setAttribute('aria-describedby', 'message-hint message-error')
    if (document.title.indexOf('Error: ') !== 0) document.title = 'Error: ' + document.title
    errorSummary.focus()
  }

  function clearError () {
    errorSummary.hidden = true
    messageGroup.classList.remove('govuk-form-group--error')
    textarea.classList.remove('govuk-textarea--error')
    messageError.hidden = true
    textarea.setAttribute('aria-describedby', 'message-hint')
    document.title = document.title.replace(/^Error: /, '')
  }

  errorSummary.addEventListener('click', function (event) {
    var target = event.target
    if (target.tagName !== 'A') return
    var id = (target.getAttribute('href') || '').replace('#', '')
    var field = document.getElementById(id)
    if (!field) return
    event.preventDefault()
    field.focus()
  })

  // --- sending -----------------------------------------------------------------------------

  form.addEventListener('submit', function (event) {
    event.preventDefault()
    var text = textarea.value
    send(text).then(function (sent) {
      if (sent) textarea.value = ''
      if (sent !== false || errorSummary.hidden) textarea.focus()
    })
  })

  // Quick replies (inside the log, added at any time) and "Talk to a person" (every page).
  document.addEventListener('submit', function (event) {
    var target = event.target
    var payload = null
    if (target.hasAttribute('data-quick-replies')) {
      var button = event.submitter || document.activeElement
      payload = button && button.value
    } else if (target.hasAttribute('data-chat-handoff')) {
      payload = '/request_human'
    }
    if (!payload) return
    event.preventDefault()
    var fromQuickReply = target.hasAttribute('data-quick-replies')
    send(payload).then(function () {
      // The pressed quick reply has gone from the page: keep focus in the message box.
      if (fromQuickReply || !document.body.contains(target)) textarea.focus()
    })
  })

  // --- session timeout (WCAG 2.2.1) --------------------------------------------------------

  var dialog = document.querySelector('[data-timeout-dialog]')
  var warnTimer = null
  var endTimer = null
  var ended = false
  var returnFocus = null

  function openDialog () {
    if (!dialog || ended) return
    returnFocus = document.activeElement
    if (typeof dialog.showModal === 'function') {
      if (!dialog.open) dialog.showModal()
    } else {
      dialog.setAttribute('open', '')
    }
    var extend = dialog.querySelector('[data-timeout-extend]')
    if (extend) extend.focus()
  }

  function closeDialog () {
    if (!dialog) return
    if (typeof dialog.close === 'function' && dialog.open) dialog.close()
    else dialog.removeAttribute('open')
    if (returnFocus && document.body.contains(returnFocus)) returnFocus.focus()
  }

  function sessionEnded () {
    ended = true
    window.clearTimeout(pollTimer)
    pollTimer = null
    state = 'ended'
    if (!dialog) return
    dialog.querySelector('[data-timeout-heading]').textContent = 'Your chat has closed'
    dialog.querySelector('[data-timeout-text]').textContent =
      'To protect your information, the chat closed because nothing happened for a while.'
    dialog.querySelector('[data-timeout-extend]').hidden = true
    dialog.querySelector('[data-timeout-restart]').hidden = false
    openDialog()
    dialog.querySelector('[data-timeout-restart]').focus()
  }

  function restartSessionTimer () {
    if (ended) return
    window.clearTimeout(warnTimer)
    window.clearTimeout(endTimer)
    var total = sessionSeconds * 1000
    warnTimer = window.setTimeout(openDialog, Math.max(0, total - WARN_BEFORE_MS))
    endTimer = window.setTimeout(sessionEnded, total)
  }

  if (dialog) {
    dialog.querySelector('[data-timeout-extend]').addEventListener('click', function () {
      request('POST', extendUrl, {}).then(function (result) {
        if (result.ok && result.data.session_seconds) sessionSeconds = result.data.session_seconds
        closeDialog()
      }).catch(closeDialog)
    })
    dialog.addEventListener('cancel', function (event) {
      // Escape closes the warning without extending; the session still ends on time.
      if (ended) event.preventDefault()
    })
  }

  restartSessionTimer()
  update({})
})()
