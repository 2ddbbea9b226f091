// Contrast of what a panel shows against what it is shown on (WCAG 2 formulas).
// Called as page.evaluate(source, element): returns one record per visible text
// and data mark inside `root`, with its contrast ratio against its background.
(root) => {
  const parse = (css) => {
    const m = /rgba?\(([^)]+)\)/.exec(css || "");
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const luminance = ({ r, g, b }) => {
    const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ratio = (x, y) => {
    const [hi, lo] = [luminance(x), luminance(y)].sort((s, t) => t - s);
    return (hi + 0.05) / (lo + 0.05);
  };
  const over = (fg, bg, alpha) => ({
    r: fg.r * alpha + bg.r * (1 - alpha),
    g: fg.g * alpha + bg.g * (1 - alpha),
    b: fg.b * alpha + bg.b * (1 - alpha),
    a: 1,
  });
  // The first opaque background behind an element, painting translucent ones over it.
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) {
        layers.push(c);
        if (c.a >= 1) break;
      }
    }
    let bg = { r: 255, g: 255, b: 255, a: 1 };
    for (const c of layers.reverse()) bg = over(c, bg, c.a);
    return bg;
  };
  const opacity = (el) => {
    let o = 1;
    for (let e = el; e && e !== root.parentElement; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
    return o;
  };
  // A CSS brightness() filter scales the colour before it is composited.
  const brightened = (paint, el) => {
    const m = /brightness\(([\d.]+)\)/.exec(getComputedStyle(el).filter || "");
    const k = m ? Number(m[1]) : 1;
    const c = (v) => Math.min(255, v * k);
    return { r: c(paint.r), g: c(paint.g), b: c(paint.b), a: paint.a };
  };
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== "hidden";
  };
  const records = [];
  // Text of the widgets (labels, readouts, HTML, buttons, inputs) and of the figures;
  // not JupyterLab's own tab bars, whose colours are the theme's.
  const texts = root.querySelectorAll(
    ".widget-label, .widget-readout, .widget-html-content, .widget-button, .widget-text input, " +
      ".widget-dropdown select, .widget-inline-hbox label, svg text"
  );
  for (const el of texts) {
    if (!visible(el) || !el.textContent.trim() && !(el.value || "").trim()) continue;
    // WCAG 1.4.3 sets no contrast for inactive controls (a Stop button greyed out until a run).
    if (el.closest(":disabled, .mod-disabled")) continue;
    const style = getComputedStyle(el);
    const isSvg = el instanceof SVGElement;
    const color = parse(isSvg ? style.fill : style.color);
    if (!color) continue;
    const bg = background(isSvg ? el.ownerSVGElement : el);
    const shown = over(color, bg, color.a * (isSvg ? Number(style.fillOpacity) : 1) * opacity(el));
    records.push({ kind: "text", text: (el.textContent || el.value).trim().slice(0, 40), ratio: ratio(shown, bg), svg: isSvg });
  }
  // Data marks: lines and dots against the plot area they are drawn on.
  for (const figure of root.querySelectorAll(".bqplot.figure")) {
    const area = figure.querySelector("rect.plotarea_background");
    let plot = background(figure);
    if (area) {
      const s = getComputedStyle(area);
      const fill = parse(s.fill);
      if (fill) plot = over(fill, plot, fill.a * Number(s.fillOpacity));
    }
    for (const el of figure.querySelectorAll("path.line, path.dot, path.area")) {
      if (!visible(el)) continue;
      const s = getComputedStyle(el);
      const kind = el.classList.contains("area") ? "band" : "mark";
      // bqplot gives the areas it fills an inline fill; the others are not painted.
      if (kind === "band" && !el.style.fill) continue;
      const paint = parse(kind === "mark" && el.classList.contains("line") ? s.stroke : s.fill);
      if (!paint || (el.getAttribute("d") || "").length < 4) continue;
      const alpha = paint.a * opacity(el) * Number(kind === "mark" && el.classList.contains("line") ? s.strokeOpacity : s.fillOpacity);
      if (alpha === 0) continue;
      const shown = over(brightened(paint, el), plot, alpha);
      records.push({ kind, text: el.closest("g")?.getAttribute("class") || "", ratio: ratio(shown, plot), alpha });
    }
  }
  return records;
}
