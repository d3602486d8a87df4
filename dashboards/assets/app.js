// opsmetrics dashboards: draws every chart of the page from its
// data-option attribute. The option is JSON, parsed and handed to ECharts as
// data: nothing in it is ever evaluated as code (see dashboards/chart.go).
(function () {
  'use strict';
  var drawn = [];
  function draw() {
    var els = document.querySelectorAll('.canvas[data-option]');
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      el.style.height = (parseInt(el.getAttribute('data-height'), 10) || 300) + 'px';
      var chart = echarts.init(el, null, { renderer: 'canvas' });
      chart.on('finished', (function (e) { return function () { e.setAttribute('data-drawn', '1'); }; })(el));
      chart.setOption(JSON.parse(el.getAttribute('data-option')));
      drawn.push(chart);
    }
    document.body.setAttribute('data-charts', String(drawn.length));
  }
  function resize() { for (var i = 0; i < drawn.length; i++) drawn[i].resize(); }
  window.addEventListener('resize', resize);
  window.addEventListener('beforeprint', resize);
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', draw); else draw();
})();
