// Shared page behaviour (progressive enhancement only; every page works without it).
// Keeps focused elements clear of the sticky "Talk to a person" bar (WCAG 2.4.11): the CSS sets a
// fallback scroll-padding-top; this measures the bar's real height when it sticks.
(function () {
  'use strict'
  var panel = document.querySelector('[data-person-panel]')
  if (!panel || !window.getComputedStyle) return
  var root = document.documentElement

  function update () {
    var sticky = window.getComputedStyle(panel).position === 'sticky'
    root.style.scrollPaddingTop = sticky ? (panel.offsetHeight + 16) + 'px' : ''
  }

  update()
  window.addEventListener('resize', update)
})()
