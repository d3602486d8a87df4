// opsmetrics dashboards: draws every chart of the page from its
// data-option attribute. The option is JSON, parsed and handed to ECharts as
// data: nothing in it is ever evaluated as code (see dashboards/chart.go).
// Also the phone menu, the PDF button, print and "Download CSV" on every
// table. A file, not inline script: the Content-Security-Policy allows none.
(function () {
  'use strict';
  document.documentElement.classList.add('js');

  // Narrow is a phone's width: charts there get fewer, shorter axis labels.
  var NARROW = 560;
  var drawn = [];

  var printMedia = window.matchMedia ? window.matchMedia('print') : null;
  function printing() { return !!(printMedia && printMedia.matches); }
  function list(v) { return Array.isArray(v) ? v : [v]; }

  // fit is the chart's option for a chart drawn w by h px: labels that
  // would overlap are left out, a short chart gets few value ticks, and on
  // a phone (narrow) long category labels are cut with an ellipsis (the
  // tooltip and the table keep them whole), a crowded x axis is turned,
  // the title wraps, and a colour scale moves under the title. The option
  // given is not changed.
  function fit(option, w, h) {
    var opt = JSON.parse(JSON.stringify(option));
    var narrow = w < NARROW;
    var turned = false;
    // The x axis's width: a category y axis's labels (a heatmap's names)
    // take up to 30% of a phone's (below).
    var plot = w - 60 - (list(opt.yAxis || []).some(function (a) { return a.type === 'category'; }) ? Math.round(w * 0.3) : 0);
    if (opt.xAxis) opt.xAxis = list(opt.xAxis).map(function (a) {
      var cats = a.type === 'category' && a.data ? a.data.length : 0;
      a.axisLabel = a.axisLabel || {};
      a.axisLabel.hideOverlap = true;
      if (narrow && cats) {
        a.axisLabel.overflow = 'truncate';
        if (cats * 56 > plot) { a.axisLabel.rotate = 40; a.axisLabel.width = 90; a.nameGap = 72; turned = true; }
        // Each label has its slot and is cut to it, so all of them show:
        // ECharts' own interval would leave out every other one.
        else { a.axisLabel.width = Math.max(48, Math.floor(plot / cats) - 4); a.axisLabel.interval = 0; }
      }
      return a;
    });
    if (opt.yAxis) opt.yAxis = list(opt.yAxis).map(function (a) {
      a.axisLabel = a.axisLabel || {};
      a.axisLabel.hideOverlap = true;
      // A short chart (a tile's sparkline) gets about one value tick per 40 px.
      if (a.type !== 'category' && h && h < 260) a.splitNumber = Math.max(2, Math.floor((h - 80) / 40));
      if (narrow && a.type === 'category') { a.axisLabel.width = Math.round(w * 0.3); a.axisLabel.overflow = 'truncate'; }
      // On a phone the grid starts at the card's edge: an axis name above
      // the axis starts at the axis rather than centred on it (and cut).
      if (narrow && a.name && a.nameLocation !== 'middle' && a.nameLocation !== 'center') {
        a.nameTextStyle = a.nameTextStyle || {};
        a.nameTextStyle.align = 'left';
      }
      return a;
    });
    var extra = 0;
    // On paper nothing scrolls, and on a wide screen there is room: the
    // legend wraps onto as many lines as it needs, and the chart grows by
    // them, so every name shows whole ("Project manager", not "Project
    // manag" and a pager). A phone keeps the one scrolling line.
    if ((printing() || !narrow) && opt.legend) {
      var names = (opt.series ? list(opt.series) : []).map(function (x) { return x.name || ''; });
      opt.legend = list(opt.legend).map(function (l, i) {
        if (l.show === false || i) return l;
        var chars = names.reduce(function (n, s) { return n + s.length + 6; }, 0);
        var lines = Math.ceil(chars * 7 / Math.max(w - 40, 100));
        l.type = 'plain';
        if (lines > 1) extra += (lines - 1) * 24;
        return l;
      });
      if (extra && opt.grid) opt.grid = list(opt.grid).map(function (g, i) {
        if (!i) g.bottom = (parseInt(g.bottom, 10) || 0) + extra;
        return g;
      });
    }
    opt.extraHeight = extra;
    if (!narrow) return opt;
    if (opt.title) opt.title = list(opt.title).map(function (t) {
      t.textStyle = t.textStyle || {};
      t.textStyle.fontSize = 13;
      t.textStyle.width = w - 16;
      t.textStyle.overflow = 'break';
      return t;
    });
    if (opt.legend && !printing()) opt.legend = list(opt.legend).map(function (l) { l.top = 'bottom'; l.type = 'scroll'; return l; });
    var top = null, more = 0;
    if (opt.visualMap) opt.visualMap = list(opt.visualMap).map(function (v) {
      delete v.right;
      v.left = 8;
      v.top = 24;
      v.orient = 'horizontal';
      v.itemHeight = Math.min(v.itemHeight || 140, w - 140);
      top = 100;
      return v;
    });
    if (opt.grid) opt.grid = list(opt.grid).map(function (g, i) {
      g.left = 8;
      g.right = 12;
      var t = parseInt(g.top, 10) || 0, b = parseInt(g.bottom, 10) || 0;
      if (top !== null && top > t) { if (!i) more += top - t; g.top = top; }
      if (turned && b < 96) { if (!i) more += 96 - b; g.bottom = 96; }
      return g;
    });
    // The room the colour scale and turned labels take is added to the
    // chart's height, so its rows keep theirs.
    opt.extraHeight += more;
    return opt;
  }

  function apply(d) {
    var w = d.el.clientWidth, key = w + (printing() ? ' print' : '');
    if (d.key === key) { d.chart.resize(); return; }
    d.key = key;
    var opt = fit(d.option, w, d.height);
    d.el.style.height = (d.height + opt.extraHeight) + 'px';
    delete opt.extraHeight;
    d.chart.setOption(opt, true);
    d.chart.resize();
  }

  function draw() {
    var els = document.querySelectorAll('.canvas[data-option]');
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      el.style.height = (parseInt(el.getAttribute('data-height'), 10) || 300) + 'px';
      var chart = echarts.init(el, null, { renderer: 'canvas' });
      chart.on('finished', (function (e) { return function () { e.setAttribute('data-drawn', '1'); }; })(el));
      var d = { el: el, chart: chart, option: JSON.parse(el.getAttribute('data-option')),
        height: parseInt(el.getAttribute('data-height'), 10) || 300 };
      apply(d);
      chart.on('click', open);
      drawn.push(d);
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
  function resize() { for (var i = 0; i < drawn.length; i++) apply(drawn[i]); }

  // Print: every chart's table is open and every chart is drawn again at
  // the paper's width (the print stylesheet narrows the page first).
  // A block that fits on one sheet (A4 and Letter are over 900 px high
  // inside their margins) is marked .keep, so it is not cut in two; a longer
  // one would leave a sheet blank if it were moved whole.
  var reopened = [];
  function beforePrint() {
    var ds = document.querySelectorAll('details.table:not([open])');
    for (var i = 0; i < ds.length; i++) { ds[i].open = true; reopened.push(ds[i]); }
    resize();
    var blocks = document.querySelectorAll('main figure.chart, main .pair > article, main .block');
    for (var j = 0; j < blocks.length; j++) blocks[j].classList.toggle('keep', blocks[j].getBoundingClientRect().height < 900);
  }
  function afterPrint() {
    while (reopened.length) reopened.pop().open = false;
    var kept = document.querySelectorAll('.keep');
    for (var i = 0; i < kept.length; i++) kept[i].classList.remove('keep');
    resize();
  }

  // csvCell quotes one cell as RFC 4180 says, and neutralizes a cell a
  // spreadsheet would run as a formula (one starting with = + - @, a tab or
  // a carriage return) with a leading '. A plain number, negative or not,
  // is not a formula and stays a number.
  function csvCell(s) {
    s = String(s == null ? '' : s);
    if (/^[=+\-@\t\r]/.test(s) && !/^[+-]?\d+(\.\d+)?%?$/.test(s)) s = "'" + s;
    if (/[",\r\n]/.test(s)) s = '"' + s.replace(/"/g, '""') + '"';
    return s;
  }
  // csvOf is rows (arrays of cell texts) as CSV: CRLF line ends, a UTF-8
  // byte-order mark so that spreadsheets read names in any script.
  function csvOf(rows) {
    return '\ufeff' + rows.map(function (r) { return r.map(csvCell).join(','); }).join('\r\n') + '\r\n';
  }
  // cellText is a cell as the reader sees it, in one line; a number column's
  // number loses its thousands separators (1,234.50 is 1234.50), so that a
  // spreadsheet reads it as a number. A cell may give its exact value in
  // data-value instead.
  function cellText(c) {
    var v = c.getAttribute('data-value');
    if (v !== null) return v;
    // A setting changed in place (a user's role) is its chosen option.
    var sel = c.querySelector('select');
    if (sel && sel.selectedIndex >= 0) return sel.options[sel.selectedIndex].text;
    // A cell of several lines (the Change log's fields) keeps them apart.
    var lines = c.querySelectorAll(':scope > div');
    if (lines.length > 1) {
      var parts = [];
      for (var i = 0; i < lines.length; i++) parts.push(cellText(lines[i]));
      return parts.join('; ');
    }
    var s = c.textContent.replace(/\s+/g, ' ').trim();
    if (c.classList.contains('n') && /^[-+]?\d{1,3}(,\d{3})+(\.\d+)?%?$/.test(s)) s = s.replace(/,/g, '');
    return s;
  }
  // rowsOf reads a table's header, body and footer rows. A row that spans
  // the whole table (a command under its row) joins the row above it as
  // one more column; a heading that spans it (a client above its projects)
  // is a row of its own. The cells of buttons and links (.actions) are
  // left out, and so is an empty table's line saying so.
  function rowsOf(table) {
    var out = [];
    var trs = table.querySelectorAll('tr');
    for (var i = 0; i < trs.length; i++) {
      var cells = Array.prototype.filter.call(trs[i].querySelectorAll('th, td'), function (c) { return !c.classList.contains('actions'); });
      var row = [];
      for (var j = 0; j < cells.length; j++) row.push(cellText(cells[j]));
      if (cells.length === 1 && cells[0].classList.contains('empty')) continue;
      if (cells.length === 1 && cells[0].tagName === 'TD' && cells[0].colSpan > 1 && out.length) {
        out[out.length - 1].push(row[0]);
        continue;
      }
      out.push(row);
    }
    return out;
  }
  function slug(s) {
    return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  }
  // tableName names a table in its file: the chart's id, else the table's
  // class (clients, stuck), else the heading above it (up to a comma: not
  // the range), else its card's id.
  function tableName(table) {
    var n = table.getAttribute('data-csv') || table.classList[0];
    if (n) return slug(n);
    for (var e = table; e && e.tagName !== 'MAIN'; e = e.parentElement) {
      for (var s = e.previousElementSibling; s; s = s.previousElementSibling) {
        if (/^H[2-4]$/.test(s.tagName)) return slug(s.textContent.split(',')[0]);
      }
      if (e !== table && e.id) return slug(e.id);
    }
    return 'table';
  }
  function fileName(table, used) {
    var main = document.querySelector('main');
    var page = slug((main && main.getAttribute('data-csv-page')) || document.title) || 'page';
    var range = main && main.getAttribute('data-csv-range');
    var name = tableName(table) || 'table';
    var base = name;
    for (var k = 2; used[name]; k++) name = base + '-' + k;
    used[name] = true;
    return 'opsmetrics-' + page + '-' + name + (range ? '-' + range : '') + '.csv';
  }
  function download(table, file) {
    var blob = new Blob([csvOf(rowsOf(table))], { type: 'text/csv;charset=utf-8' });
    var a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = file;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }
  // addCSV puts a "Download CSV" button above every table of the page; a
  // chart's table gets it beside its "Table" switch, so it works closed.
  function addCSV() {
    var tables = document.querySelectorAll('main table');
    var used = {};
    for (var i = 0; i < tables.length; i++) {
      var t = tables[i];
      if (t.closest('form')) continue; // a form's table is for typing in, not data
      var file = fileName(t, used);
      t.setAttribute('data-csv-file', file);
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'csv';
      b.textContent = 'Download CSV';
      b.setAttribute('aria-label', 'Download CSV: ' + file);
      b.addEventListener('click', (function (tb, f) { return function () { download(tb, f); }; })(t, file));
      var p = document.createElement('p');
      p.className = 'csv-row';
      p.appendChild(b);
      var details = t.closest('details.table');
      var at = details || t;
      at.parentNode.insertBefore(p, at);
    }
  }
  // A table wider than its card scrolls inside it; it takes the keyboard's
  // focus then, so it can be scrolled without a mouse.
  function scrollables() {
    var tables = document.querySelectorAll('main table');
    for (var i = 0; i < tables.length; i++) {
      var t = tables[i];
      if (t.scrollWidth > t.clientWidth + 1) t.setAttribute('tabindex', '0');
      else t.removeAttribute('tabindex');
    }
  }

  function menu() {
    var b = document.querySelector('header.top button.menu');
    if (!b) return;
    var header = b.closest('header');
    function set(open) {
      b.setAttribute('aria-expanded', String(open));
      header.classList.toggle('open', open);
    }
    b.addEventListener('click', function () { set(b.getAttribute('aria-expanded') !== 'true'); });
    document.addEventListener('keydown', function (e) {
      if (e.key === 'Escape' && b.getAttribute('aria-expanded') === 'true') { set(false); b.focus(); }
    });
  }

  function start() {
    menu();
    var prints = document.querySelectorAll('[data-print]');
    for (var i = 0; i < prints.length; i++) prints[i].addEventListener('click', function () { window.print(); });
    addCSV();
    if (window.echarts) draw(); else document.body.setAttribute('data-charts', '0');
    scrollables();
  }

  window.opsmetrics = { csv: csvOf, rows: rowsOf, fit: fit };
  window.addEventListener('resize', function () { resize(); scrollables(); });
  window.addEventListener('beforeprint', beforePrint);
  window.addEventListener('afterprint', afterPrint);
  // An emulated print medium (and some browsers' print preview) fires no
  // beforeprint: the media query's change does the same.
  if (printMedia && printMedia.addEventListener) printMedia.addEventListener('change', function (e) { if (e.matches) beforePrint(); else afterPrint(); });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
