/* The admin's Content-Security-Policy forbids inline event handlers (onclick="…").
 * Flask-Admin's templates still carry a few; the browser ignores them, and this file
 * re-attaches the same behaviour as ordinary listeners:
 *   return faHelpers.safeConfirm('…') / return confirm('…')  -> ask, cancel the click on "no"
 *   return modelActions.execute('name')                       -> run the bulk action
 *   faForm.addInlineField(this, 'id')                          -> add an inline form row
 *   return false                                               -> cancel the click
 * New templates should write data-confirm="…" on a button or link instead of onclick.
 */
(function () {
  'use strict';

  function unquote(s) {
    return s.replace(/\\'/g, "'").replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  }

  var CONFIRM = /^\s*return\s+(?:faHelpers\.safeConfirm|confirm|window\.confirm)\(\s*(['"])((?:\\.|(?!\1).)*)\1\s*\)\s*;?\s*$/;
  var ACTION = /^\s*return\s+modelActions\.execute\(\s*(['"])((?:\\.|(?!\1).)*)\1\s*\)\s*;?\s*$/;
  var INLINE = /^\s*faForm\.addInlineField\(\s*this\s*,\s*(['"])((?:\\.|(?!\1).)*)\1\s*\)\s*;?\s*$/;
  var FALSE = /^\s*return\s+false\s*;?\s*$/;

  function askFirst(message) {
    return function (event) {
      if (!window.confirm(message)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    };
  }

  function wire(el) {
    var code = el.getAttribute('onclick');
    if (code === null || el.dataset.cspWired) {
      return;
    }
    var m;
    if ((m = CONFIRM.exec(code))) {
      el.addEventListener('click', askFirst(unquote(m[2])));
    } else if ((m = ACTION.exec(code))) {
      var name = unquote(m[2]);
      el.addEventListener('click', function (event) {
        event.preventDefault();
        if (window.modelActions) {
          window.modelActions.execute(name);
        }
      });
    } else if ((m = INLINE.exec(code))) {
      var fieldId = unquote(m[2]);
      el.addEventListener('click', function (event) {
        event.preventDefault();
        if (window.faForm) {
          window.faForm.addInlineField(el, fieldId);
        }
      });
    } else if (FALSE.test(code)) {
      el.addEventListener('click', function (event) {
        event.preventDefault();
      });
    } else {
      return;
    }
    el.dataset.cspWired = '1';
  }

  function wireAll(root) {
    var nodes = root.querySelectorAll('[onclick]');
    for (var i = 0; i < nodes.length; i++) {
      wire(nodes[i]);
    }
  }

  // data-confirm="…" on any button or link: ask before the click goes through.
  document.addEventListener('click', function (event) {
    var el = event.target.closest ? event.target.closest('[data-confirm]') : null;
    if (el && !window.confirm(el.getAttribute('data-confirm'))) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  function start() {
    wireAll(document);
    // Inline rows added later (work history…) bring their own buttons.
    if (window.MutationObserver) {
      new MutationObserver(function (mutations) {
        mutations.forEach(function (mu) {
          mu.addedNodes.forEach(function (n) {
            if (n.nodeType === 1) {
              if (n.hasAttribute('onclick')) {
                wire(n);
              }
              wireAll(n);
            }
          });
        });
      }).observe(document.body, { childList: true, subtree: true });
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
