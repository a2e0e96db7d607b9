/* The violation's verify page: when the 核实日期 changes, ask the server what the ladder of
 * 第二十一条 would do on that day (app.services.discipline.ladder.preview_step) and show it,
 * so the preview never keeps speaking of the date first shown. */
(function () {
  'use strict';
  var box = document.getElementById('ladder-preview');
  var input = document.getElementById('verified_on');
  if (!box || !input || !window.fetch) {
    return;
  }
  var SEVERE = { suspension: true, blacklist: true };

  function show(data) {
    box.querySelector('.preview-label').textContent = data.label;
    box.querySelector('.preview-label').classList.toggle('text-danger', !!SEVERE[data.sanction]);
    box.querySelector('.preview-note').textContent = data.note;
    box.querySelector('.preview-interview').hidden = !data.interview;
    box.querySelector('.preview-basis').textContent = data.basis;
    box.classList.remove('border-danger', 'border-warning', 'border-secondary');
    box.classList.add(SEVERE[data.sanction] ? 'border-danger' : (data.sanction ? 'border-warning' : 'border-secondary'));
  }

  function refresh() {
    if (!input.value) {
      return;
    }
    var url = box.getAttribute('data-url') + '&verified_on=' + encodeURIComponent(input.value);
    fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (data.error) {
          box.querySelector('.preview-basis').textContent = data.error;
        } else {
          show(data);
        }
      })
      .catch(function () {
        box.querySelector('.preview-basis').textContent = '无法按新日期重新计算，请检查网络后重试。';
      });
  }

  input.addEventListener('change', refresh);
}());
