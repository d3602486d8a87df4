package app_test

// legendReport lists, chart by chart, the legend names a reader of the
// page cannot read whole: a name missing from the drawn legend (behind a
// scrolling legend's pager), cut by the legend's clip or the canvas's
// edge, and any pager ("1/2") itself. It reads what ECharts drew (zrender's
// display list), so it sees what the screenshot shows.
const legendReport = `(() => {
  const out = [];
  const inLegend = e => { for (let p = e; p; p = p.parent) { const i = p.__ecComponentInfo; if (i) return i.mainType === 'legend'; } return false; };
  const box = e => { const r = e.getBoundingRect().clone(); const m = e.getComputedTransform(); if (m) r.applyTransform(m); return r; };
  for (const el of document.querySelectorAll('.canvas[data-option]')) {
    const chart = echarts.getInstanceByDom(el);
    if (!chart) continue;
    const id = el.getAttribute('aria-describedby').replace(/-table$/, '');
    const legend = (chart.getOption().legend || [])[0];
    if (!legend || legend.show === false) continue;
    const names = new Set((chart.getOption().series || []).map(s => s.name).filter(Boolean));
    const shown = new Set();
    for (const d of chart.getZr().storage.getDisplayList(true)) {
      if (d.type !== 'tspan' || !inLegend(d) || d.ignore || d.invisible) continue;
      const text = String(d.style.text || '');
      if (/^\d+\/\d+$/.test(text)) { out.push(id + ': a pager ' + text); continue; }
      const r = box(d);
      let cut = r.x < 0 || r.x + r.width > el.clientWidth + 1;
      for (const c of d.__clipPaths || []) {
        const cr = box(c);
        if (r.x < cr.x - 1 || r.x + r.width > cr.x + cr.width + 1) cut = true;
      }
      if (cut) out.push(id + ': ' + text + ' is cut');
      else shown.add(text);
    }
    for (const n of names) if (!shown.has(n)) out.push(id + ': ' + n + ' is not shown whole');
  }
  return out;
})()`
