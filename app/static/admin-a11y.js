/* Names for the controls Flask-Admin and its select2 widgets draw without one, so that a screen
 * reader says what each is (axe-core: label-title-only, link-name):
 *   - a list's row checkbox: "选择：<the row's name>", the header's: "选择本页全部记录";
 *   - select2's "×" on a chosen item: "移除<item>", and an empty single-select box: its field's label.
 * Loaded last by admin/expertpool_base.html; select2 boxes drawn later are named as they appear. */
(function () {
  'use strict';

  function rowName(box) {
    var row = box.closest('tr');
    if (!row) { return ''; }
    var cells = row.querySelectorAll('td');
    for (var i = 0; i < cells.length; i++) {
      var text = (cells[i].textContent || '').replace(/\s+/g, ' ').trim();
      if (text && !cells[i].querySelector('input[type=checkbox], .list-buttons-column a')) { return text; }
    }
    return '';
  }

  function labelFor(id) {
    var label = id && document.querySelector('label[for="' + id + '"]');
    return label ? (label.textContent || '').replace(/[\s*]+/g, ' ').trim() : '';
  }

  function name(root) {
    root.querySelectorAll('input.action-rowtoggle:not([aria-label])').forEach(function (box) {
      box.setAttribute('aria-label', '选择本页全部记录');
    });
    root.querySelectorAll('input.action-checkbox:not([aria-label])').forEach(function (box) {
      var text = rowName(box);
      box.setAttribute('aria-label', text ? '选择：' + text : '选择记录');
    });
    root.querySelectorAll('a.select2-search-choice-close:not([aria-label])').forEach(function (link) {
      var item = link.parentNode ? (link.parentNode.textContent || '').trim() : '';
      link.setAttribute('aria-label', '移除' + item);
    });
    root.querySelectorAll('a.select2-choice').forEach(function (link) {
      // A box showing its choice is named by it; an empty one by its field's label.
      if ((link.textContent || '').trim()) {
        if (link.hasAttribute('aria-label')) { link.removeAttribute('aria-label'); }
        return;
      }
      var box = link.closest('.select2-container');
      var id = box && box.id ? box.id.replace(/^s2id_/, '') : '';
      if (!link.hasAttribute('aria-label')) { link.setAttribute('aria-label', labelFor(id) || '选择'); }
    });
  }

  function start() {
    name(document);
    if (window.MutationObserver) {
      new MutationObserver(function () { name(document); })
        .observe(document.body, { childList: true, subtree: true });
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
