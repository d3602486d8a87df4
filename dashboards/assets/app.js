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
      chart.on('click', open);
      drawn.push(chart);
    }
    document.body.setAttribute('data-charts', String(drawn.length));
  }
  // A bar or heatmap cell that names a client, project or person carries
  // the URL of its page (dashboards/drill.go); only a path on this site is
  // followed.
  function open(p) {
    var u = p && p.data && p.data.url;
    if (typeof u === 'string' && u.charAt(0) === '/' && u.charAt(1) !== '/') window.location.assign(u);
  }
  function resize() { for (var i = 0; i < drawn.length; i++) drawn[i].resize(); }
  window.addEventListener('resize', resize);
  window.addEventListener('beforeprint', resize);
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', draw); else draw();
})();
