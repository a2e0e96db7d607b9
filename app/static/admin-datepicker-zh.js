/* The admin's date pickers in Chinese.
 * Flask-Admin 2 draws its date and date-range pickers with bootstrap-daterangepicker 1.3.22,
 * which takes month and weekday names from moment.js (vendor/moment/zh-cn.js, moment's own
 * zh-cn locale: 1月…12月, 日一二三四五六, weeks from Monday) and has its button labels
 * hard-coded in English. This file switches moment to zh-cn and gives every picker Chinese
 * labels, by wrapping $.fn.daterangepicker before Flask-Admin's form.js applies it on load.
 */
(function () {
  'use strict';

  var LABELS = {
    applyLabel: '确定',
    cancelLabel: '取消',
    fromLabel: '从',
    toLabel: '至',
    weekLabel: '周',
    customRangeLabel: '自定义'
  };

  if (window.moment) {
    window.moment.locale('zh-cn');
  }

  function wrap() {
    var $ = window.jQuery;
    if (!$ || !$.fn.daterangepicker || $.fn.daterangepicker.zhCN) {
      return;
    }
    var original = $.fn.daterangepicker;
    var wrapped = function (options, callback) {
      var merged = $.extend(true, {}, { locale: LABELS }, options || {});
      return original.call(this, merged, callback);
    };
    wrapped.zhCN = true;
    $.fn.daterangepicker = wrapped;
  }

  // form.js triggers adminFormReady when it loads (after daterangepicker.js) and applies the
  // pickers on DOM ready; this file is loaded before both, so either hook comes first.
  if (window.jQuery) {
    window.jQuery(document).on('adminFormReady', wrap);
  }
  document.addEventListener('DOMContentLoaded', wrap);
}());
