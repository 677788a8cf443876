/* itops-kpi report: scorecard, trends and freshness drawn from the JSON embedded in the
   page (read from the published snapshot). No network: Plotly is bundled beside the page. */
(function () {
  "use strict";

  var DATA = JSON.parse(document.getElementById("report-data").textContent);
  DATA.series = decodeSeries(DATA.series);

  /* The page carries each series as a dense run over a shared period axis; the charts
     want points: [period_start, value, target, status]. Periods without data are left out. */
  function decodeSeries(raw) {
    var codes = { o: "on_track", a: "at_risk", x: "off_track" };
    var decoded = {};
    Object.keys(raw).forEach(function (grain) {
      var axis = raw[grain].axis;
      var metrics = raw[grain].metrics;
      decoded[grain] = {};
      Object.keys(metrics).forEach(function (metric) {
        var target = DATA.kpis[metric] ? DATA.kpis[metric].target : null;
        decoded[grain][metric] = {};
        Object.keys(metrics[metric]).forEach(function (dimension) {
          var byValue = metrics[metric][dimension];
          decoded[grain][metric][dimension] = {};
          Object.keys(byValue).forEach(function (key) {
            var run = byValue[key];
            var points = [];
            run[1].forEach(function (value, i) {
              if (value !== null) points.push([axis[run[0] + i], value, target, codes[run[2].charAt(i)] || null]);
            });
            decoded[grain][metric][dimension][key] = points;
          });
        });
      });
    });
    return decoded;
  }

  /* Okabe-Ito colours, and a shape and a word for every status: never colour alone. */
  var STATUS = {
    on_track: { label: "On track", color: "#009E73", symbol: "circle", icon: "\u25CF" },
    at_risk: { label: "At risk", color: "#E69F00", symbol: "triangle-up", icon: "\u25B2" },
    off_track: { label: "Off track", color: "#D55E00", symbol: "x", icon: "\u2716" },
    none: { label: "No target", color: "#0072B2", symbol: "circle", icon: "\u25CB" },
    nodata: { label: "No data", color: "#6b7280", symbol: "circle", icon: "\u2013" }
  };
  var SERIES_COLORS = ["#0072B2", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#D55E00", "#000000"];
  var SERIES_SYMBOLS = ["circle", "square", "diamond", "triangle-up", "cross", "star", "x"];
  var SERIES_DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "solid"];
  var COMPARE_COLOR = "#8a8f98";
  var SOURCE_NAMES = {
    servicenow: "ServiceNow", jira: "Jira Service Management", zendesk: "Zendesk", pagerduty: "PagerDuty",
    harvest: "Harvest", runn: "Runn", spreadsheets: "Spreadsheets"
  };
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var STALE_HOURS = 36;

  var state = { grain: "month", dimension: "all", value: "all" };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) {
      if (child != null) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function parseDate(iso) {
    var p = iso.slice(0, 10).split("-");
    return new Date(Date.UTC(+p[0], +p[1] - 1, +p[2]));
  }

  function periodLabel(iso, grain) {
    var d = parseDate(iso);
    if (grain === "month") return MONTHS[d.getUTCMonth()] + " " + d.getUTCFullYear();
    return "week of " + d.getUTCDate() + " " + MONTHS[d.getUTCMonth()] + " " + d.getUTCFullYear();
  }

  function shortPeriod(iso, grain) {
    var d = parseDate(iso);
    return grain === "month" ? MONTHS[d.getUTCMonth()] : d.getUTCDate() + " " + MONTHS[d.getUTCMonth()];
  }

  function timestampLabel(iso) {
    if (!iso) return "never";
    var d = new Date(iso);
    var hh = String(d.getUTCHours()).padStart(2, "0");
    var mm = String(d.getUTCMinutes()).padStart(2, "0");
    return d.getUTCDate() + " " + MONTHS[d.getUTCMonth()] + " " + d.getUTCFullYear() + " " + hh + ":" + mm + " UTC";
  }

  var COUNT_UNITS = { tickets: 1, incidents: 1, changes: 1, people: 1, count: 1, responses: 1, projects: 1 };

  /* [number text, unit text] */
  function formatParts(value, unit) {
    if (value === null || value === undefined || isNaN(value)) return ["\u2013", ""];
    var abs = Math.abs(value);
    var digits = abs >= 100 || Number.isInteger(value) ? 0 : 1;
    var number = value.toLocaleString("en", { minimumFractionDigits: digits, maximumFractionDigits: digits });
    if (unit === "percent") return [number, "%"];
    if (unit === "hours") return [number, "h"];
    if (unit === "minutes") return [value.toLocaleString("en", { maximumFractionDigits: 0 }), "min"];
    if (COUNT_UNITS[unit]) {
      return [value.toLocaleString("en", { maximumFractionDigits: Number.isInteger(value) ? 0 : 1 }), unit];
    }
    return [number, unit || ""];
  }

  function format(value, unit) {
    var parts = formatParts(value, unit);
    if (!parts[1]) return parts[0];
    return parts[0] + (parts[1] === "%" ? "%" : " " + parts[1]);
  }

  function statusOf(status) { return STATUS[status] || STATUS.none; }

  function periods() { return DATA.periods[state.grain] || null; }

  /* The points for a KPI in the current view, and whether they are the view's own
     breakdown or the organisation-wide fallback. */
  function pointsFor(metric) {
    var byGrain = (DATA.series[state.grain] || {})[metric] || {};
    var dimensions = (DATA.kpis[metric].dimensions || "").split(",");
    if (state.dimension !== "all") {
      if (dimensions.indexOf(state.dimension) >= 0) {
        return { points: ((byGrain[state.dimension] || {})[state.value]) || [], scoped: true, available: true };
      }
      return { points: (byGrain.all || {}).all || [], scoped: false, available: false };
    }
    return { points: (byGrain.all || {}).all || [], scoped: true, available: true };
  }

  function orgPoints(metric) {
    return (((DATA.series[state.grain] || {})[metric] || {}).all || {}).all || [];
  }

  function nextPeriod(iso, grain) {
    var d = parseDate(iso);
    if (grain === "month") d.setUTCMonth(d.getUTCMonth() + 1);
    else d.setUTCDate(d.getUTCDate() + (grain === "week" ? 7 : 1));
    return d.toISOString().slice(0, 10);
  }

  /* A period without data is a gap in the line, not a straight segment across it. */
  function withGaps(points, grain) {
    var filled = [];
    points.forEach(function (q, i) {
      if (i) {
        var expected = nextPeriod(points[i - 1][0], grain);
        for (var guard = 0; expected < q[0] && guard < 400; guard++) {
          filled.push([expected, null, null, null]);
          expected = nextPeriod(expected, grain);
        }
      }
      filled.push(q);
    });
    return filled;
  }

  function pointAt(points, periodStart) {
    for (var i = 0; i < points.length; i++) if (points[i][0] === periodStart) return points[i];
    return null;
  }

  function viewLabel() {
    if (state.dimension === "all") return "the whole organisation";
    var options = DATA.filters[state.dimension] || [];
    for (var i = 0; i < options.length; i++) if (options[i].value === state.value) return options[i].label;
    return state.value;
  }

  function targetText(kpi) {
    if (kpi.target === null || kpi.target === undefined) return null;
    var sign = kpi.direction === "lower_is_better" ? "\u2264 " : kpi.direction === "higher_is_better" ? "\u2265 " : "";
    return "target " + sign + format(kpi.target, kpi.unit);
  }

  function deltaNode(kpi, current, previous, grain) {
    if (!current || !previous || current[1] === null || previous[1] === null) return null;
    var diff = current[1] - previous[1];
    var arrow = diff > 0 ? "\u2191" : diff < 0 ? "\u2193" : "\u2192";
    var verdict = "";
    var css = "delta";
    if (diff !== 0 && kpi.direction) {
      var better = (kpi.direction === "lower_is_better") === (diff < 0);
      verdict = better ? " (better)" : " (worse)";
      css += better ? " better" : " worse";
    }
    var magnitude = format(Math.abs(diff), kpi.unit === "percent" ? "pts" : kpi.unit);
    if (kpi.unit === "percent") magnitude = Math.abs(diff).toFixed(1) + " pts";
    return el("span", { className: css, text: arrow + " " + magnitude + verdict }, []).outerHTML +
      " vs " + shortPeriod(previous[0], grain);
  }

  function chartLayout(kpi, grain, showLegend, height) {
    var layout = {
      height: height || 190,
      margin: { l: 48, r: 14, t: showLegend ? 26 : 8, b: 30 },
      font: { family: "system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif", size: 11, color: "#1f2933" },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      xaxis: { type: "date", tickformat: grain === "month" ? "%b %y" : "%d %b", gridcolor: "#eef0f3",
               linecolor: "#d5dae1", ticks: "outside", tickcolor: "#d5dae1", fixedrange: true },
      yaxis: { gridcolor: "#eef0f3", zeroline: false, rangemode: "tozero", fixedrange: true,
               ticksuffix: kpi.unit === "percent" ? "%" : "", automargin: true },
      showlegend: !!showLegend,
      legend: { orientation: "h", x: 0, y: 1.18, font: { size: 10 } },
      hovermode: "closest",
      shapes: [],
      annotations: []
    };
    if (kpi.target !== null && kpi.target !== undefined && kpi.kind !== "forecast") {
      layout.shapes.push({ type: "line", xref: "paper", x0: 0, x1: 1, y0: kpi.target, y1: kpi.target,
                           line: { color: "#1f2933", width: 1.2, dash: "dash" } });
      layout.annotations.push({ xref: "paper", x: 0, y: kpi.target, xanchor: "left", yanchor: "bottom",
                                text: targetText(kpi), showarrow: false, font: { size: 9, color: "#1f2933" },
                                bgcolor: "rgba(255,255,255,0.85)", borderpad: 1 });
    }
    return layout;
  }

  /* One tick per period, or per few periods, over every trace's range: never the same
     month label twice, never more than about six labels. */
  function setTicks(layout, traces, grain) {
    var xs = [];
    traces.forEach(function (trace) { xs = xs.concat(trace.x || []); });
    if (!xs.length) return;
    xs.sort();
    var count = 1;
    for (var at = xs[0]; at < xs[xs.length - 1] && count < 1000; count++) at = nextPeriod(at, grain);
    var every = Math.max(1, Math.ceil(count / 6));
    layout.xaxis.dtick = grain === "month" ? "M" + every : every * 7 * 864e5;
    layout.xaxis.tick0 = xs[0];
  }

  function statusMarkers(points, inProgressStart) {
    var symbols = [], colors = [], lines = [];
    points.forEach(function (p) {
      var s = statusOf(p[3]);
      // Open symbols are drawn with the marker colour as their outline: hollow, same hue.
      symbols.push(s.symbol + (p[0] === inProgressStart ? "-open" : ""));
      colors.push(s.color);
      lines.push(s.color);
    });
    return { symbol: symbols, color: colors, size: 9, line: { color: lines, width: 2 } };
  }

  function trendTraces(metric, kpi, view) {
    var p = periods();
    var inProgress = p && !p.is_current_period_complete ? p.current_period_start : null;
    var traces = [];
    var unitSuffix = kpi.unit === "percent" ? "%" : kpi.unit === "hours" ? " h" : kpi.unit === "minutes" ? " min" : "";
    var hover = "%{x|" + (state.grain === "month" ? "%b %Y" : "week of %d %b %Y") + "}<br>%{y:,.1f}" + unitSuffix +
      "%{customdata}<extra></extra>";
    // Beside a team's or a service's ratio, the organisation's is a benchmark; beside a
    // count or a sum it is only a much bigger number.
    if (view.scoped && state.dimension !== "all" && kpi.rollup !== "sum") {
      var org = orgPoints(metric);
      if (org.length) {
        traces.push({ type: "scatter", mode: "lines", name: "Whole organisation",
                      x: org.map(function (q) { return q[0]; }), y: org.map(function (q) { return q[1]; }),
                      line: { color: COMPARE_COLOR, width: 1.5, dash: "dot" }, hoverinfo: "skip" });
      }
    }
    var points = withGaps(view.points, state.grain);
    traces.push({
      type: "scatter", mode: "lines+markers", name: view.scoped ? viewLabel() : "Whole organisation",
      x: points.map(function (q) { return q[0]; }),
      y: points.map(function (q) { return q[1]; }),
      connectgaps: false,
      customdata: points.map(function (q) {
        return (q[3] ? " \u00B7 " + statusOf(q[3]).label : "") + (q[0] === inProgress ? " (in progress)" : "");
      }),
      hovertemplate: hover,
      line: { color: "#0072B2", width: 2.2 },
      marker: statusMarkers(points, inProgress)
    });
    return traces;
  }

  function dataTable(kpi, points) {
    var rows = points.slice().reverse().map(function (q) {
      return el("tr", {}, [el("td", { text: periodLabel(q[0], state.grain) }), el("td", { text: format(q[1], kpi.unit) }),
                           el("td", { text: q[3] ? statusOf(q[3]).label : "\u2013" })]);
    });
    return el("details", {}, [el("summary", { text: "Data" }),
      el("table", {}, [el("thead", {}, [el("tr", {}, [el("th", { text: "Period" }), el("th", { text: "Value" }),
                                                       el("th", { text: "Status" })])]),
                       el("tbody", {}, rows)])]);
  }

  function ariaSummary(kpi, points) {
    if (!points.length) return kpi.kpi_name + ": no data";
    var first = points[0], last = points[points.length - 1];
    return kpi.kpi_name + " from " + periodLabel(first[0], state.grain) + " (" + format(first[1], kpi.unit) + ") to " +
      periodLabel(last[0], state.grain) + " (" + format(last[1], kpi.unit) + ")";
  }

  /* Charts are drawn once their cards are in the page, so Plotly sizes them to the card. */
  var queued = [];

  function plot(node, traces, layout) {
    queued.push(function () {
      return window.Plotly.react(node, traces, layout, { displayModeBar: false, responsive: true });
    });
  }

  function kpiCard(metric) {
    var kpi = DATA.kpis[metric];
    var p = periods();
    var view = pointsFor(metric);
    var current = p ? pointAt(view.points, p.last_complete_period_start) : null;
    var previous = p ? pointAt(view.points, p.previous_complete_period_start) : null;
    var hasValue = !!current && current[1] !== null;
    var status = hasValue ? current[3] || null : null;
    var shown = hasValue ? status || "none" : "nodata";
    var s = STATUS[shown] || STATUS.none;
    var parts = formatParts(current ? current[1] : null, kpi.unit);
    var card = el("article", { className: "kpi kpi--" + shown, id: "kpi-" + metric,
                               "data-metric": metric, "data-status": shown });
    var badge = el("span", { className: "badge status-" + (shown === "nodata" ? "none" : shown),
                             title: shown === "nodata" ? "No value in this period" : status ? s.label +
                               " against the target" : "No target set for this KPI" },
                   [el("span", { "aria-hidden": "true", text: s.icon }), s.label]);
    card.appendChild(el("header", {}, [
      el("h3", { title: kpi.target_description || kpi.metric }, [kpi.kpi_name, el("span", { className: "key", text: metric })]),
      badge]));
    card.appendChild(el("div", { className: "figure" }, [el("span", { className: "value", text: parts[0] }),
                                                          el("span", { className: "unit", text: parts[1] })]));
    var meta = el("p", { className: "meta" });
    var bits = [p ? periodLabel(p.last_complete_period_start, state.grain) : ""];
    if (!current) bits[0] += " (no data)";
    var target = targetText(kpi);
    if (target) bits.push(target);
    meta.innerHTML = bits.map(function (b) { return el("span", { text: b }).outerHTML; }).join(" \u00B7 ");
    var delta = deltaNode(kpi, current, previous, state.grain);
    if (delta) meta.innerHTML += " \u00B7 " + delta;
    card.appendChild(meta);
    if (!view.available) {
      card.appendChild(el("p", { className: "scope", text: "Whole organisation: this KPI has no breakdown by " +
                                                           state.dimension + "." }));
    }
    var chart = el("div", { className: "chart", role: "img", "aria-label": ariaSummary(kpi, view.points) });
    card.appendChild(chart);
    if (view.points.length) {
      var traces = trendTraces(metric, kpi, view);
      var layout = chartLayout(kpi, state.grain, traces.length > 1);
      setTicks(layout, traces, state.grain);
      plot(chart, traces, layout);
      card.appendChild(dataTable(kpi, view.points));
    } else {
      chart.appendChild(el("div", { className: "empty", text: "No data for " + viewLabel() + " yet" }));
    }
    return { node: card, status: shown };
  }

  /* Forward-looking metrics (the 12-week capacity forecast) share one chart. */
  function forecastCard(metrics) {
    var card = el("article", { className: "kpi wide", id: "forecast", "data-metric": metrics.join(",") });
    card.appendChild(el("header", {}, [el("h3", { text: "Capacity forecast, next 12 weeks" }),
                                       el("span", { className: "badge status-none", text: "Forecast" })]));
    var anyPoints = false;
    var traces = metrics.map(function (metric, i) {
      var kpi = DATA.kpis[metric];
      var byGrain = (DATA.series.week || {})[metric] || {};
      var dims = (kpi.dimensions || "").split(",");
      var scoped = state.dimension !== "all" && dims.indexOf(state.dimension) >= 0;
      var points = scoped ? ((byGrain[state.dimension] || {})[state.value] || []) : ((byGrain.all || {}).all || []);
      if (points.length) anyPoints = true;
      return { type: "scatter", mode: "lines+markers", name: kpi.kpi_name,
               x: points.map(function (q) { return q[0]; }), y: points.map(function (q) { return q[1]; }),
               line: { color: SERIES_COLORS[i % SERIES_COLORS.length], width: 2, dash: SERIES_DASHES[i % SERIES_DASHES.length] },
               marker: { symbol: SERIES_SYMBOLS[i % SERIES_SYMBOLS.length], size: 8 },
               hovertemplate: kpi.kpi_name + "<br>week of %{x|%d %b %Y}: %{y:,.0f} " + (kpi.unit || "") + "<extra></extra>" };
    });
    var chart = el("div", { className: "chart tall", role: "img",
                            "aria-label": "Capacity forecast by week: " + metrics.map(function (m) { return DATA.kpis[m].kpi_name; }).join(", ") });
    card.appendChild(chart);
    if (anyPoints) {
      var layout = chartLayout({ unit: DATA.kpis[metrics[0]].unit, kind: "forecast" }, "week", true, 280);
      layout.xaxis.tickformat = "%d %b";
      setTicks(layout, traces, "week");
      plot(chart, traces, layout);
    } else {
      chart.appendChild(el("div", { className: "empty", text: "No forecast for " + viewLabel() + " yet" }));
    }
    return card;
  }

  function renderFreshness() {
    var holder = document.getElementById("freshness");
    holder.innerHTML = "";
    var published = DATA.snapshot && DATA.snapshot.published_at ? new Date(DATA.snapshot.published_at) : null;
    if (!DATA.freshness.length) {
      holder.appendChild(el("span", { className: "chip", text: "No source has been loaded yet." }));
      return;
    }
    holder.appendChild(el("span", { className: "detail", text: "Sources:" }));
    DATA.freshness.forEach(function (src) {
      var failed = src.failing_streams && src.failing_streams.length;
      var ageHours = published && src.last_success_at ? (published - new Date(src.last_success_at)) / 36e5 : null;
      var stale = ageHours === null || ageHours > STALE_HOURS;
      var s = failed ? STATUS.off_track : stale ? STATUS.at_risk : STATUS.on_track;
      var word = failed ? "last load failed (" + src.failing_streams.join(", ") + ")" : stale ? "stale" : "fresh";
      var chip = el("span", { className: "chip", "data-source": src.source,
                              title: failed && src.last_error ? src.last_error : "" }, [
        el("span", { className: "icon " + (failed ? "status-off_track" : stale ? "status-at_risk" : "status-on_track"),
                     "aria-hidden": "true", text: s.icon }),
        el("span", { className: "name", text: SOURCE_NAMES[src.source] || src.source }),
        el("span", { className: "detail", text: word + " \u00B7 loaded " + timestampLabel(src.last_success_at) +
                     (src.newest_record_at ? " \u00B7 newest record " + timestampLabel(src.newest_record_at) : "") })
      ]);
      holder.appendChild(chip);
    });
  }

  /* One line a manager reads first: what is off track or at risk right now. */
  function renderAttention(items) {
    var node = document.getElementById("attention");
    node.innerHTML = "";
    if (!periods()) return;
    items.sort(function (a, b) { return (a.status === "off_track" ? 0 : 1) - (b.status === "off_track" ? 0 : 1); });
    if (!items.length) {
      node.appendChild(el("span", { className: "status-on_track", text: STATUS.on_track.icon + " Every KPI with a target is on track." }));
      return;
    }
    node.appendChild(el("strong", { text: "Needs attention: " }));
    items.forEach(function (item, i) {
      var s = STATUS[item.status];
      if (i) node.appendChild(document.createTextNode(", "));
      node.appendChild(el("a", { href: "#kpi-" + item.metric, className: "status-" + item.status },
                          [s.icon + " " + DATA.kpis[item.metric].kpi_name + " (" + s.label.toLowerCase() + ")"]));
    });
  }

  function render() {
    queued = [];
    var p = periods();
    var families = DATA.families.filter(function (f) { return f.kpis.length; });
    var missing = DATA.families.filter(function (f) { return !f.kpis.length; });
    var line = document.getElementById("period-line");
    line.innerHTML = "";
    if (p && p.last_complete_period_start) {
      line.appendChild(el("span", {}, ["Scorecard for ", el("strong", { text: periodLabel(p.last_complete_period_start, state.grain) }),
        " (last complete " + state.grain + "), " + viewLabel() + ". Trends end with the " + state.grain +
        " in progress, drawn hollow."]));
    } else {
      line.textContent = "No KPI data has been published yet: run a refresh.";
    }
    var overview = document.getElementById("overview");
    var holder = document.getElementById("families");
    overview.innerHTML = "";
    holder.innerHTML = "";
    var attention = [];
    families.forEach(function (family) {
      var counts = { on_track: 0, at_risk: 0, off_track: 0, none: 0, nodata: 0 };
      var section = el("section", { className: "family", id: "family-" + family.family, "data-family": family.family });
      var actual = family.kpis.filter(function (m) { return DATA.kpis[m].kind !== "forecast"; });
      var forecast = family.kpis.filter(function (m) { return DATA.kpis[m].kind === "forecast"; });
      section.appendChild(el("h2", {}, [family.name, el("span", { className: "sub",
        text: actual.length + " KPI" + (actual.length === 1 ? "" : "s") + (forecast.length ? " + capacity forecast" : "") })]));
      var grid = el("div", { className: "grid" });
      actual.forEach(function (metric) {
        var card = kpiCard(metric);
        counts[card.status] += 1;
        if (card.status === "off_track" || card.status === "at_risk") attention.push({ metric: metric, status: card.status });
        grid.appendChild(card.node);
      });
      if (forecast.length) grid.appendChild(forecastCard(forecast));
      section.appendChild(grid);
      holder.appendChild(section);
      var tile = el("a", { className: "tile", href: "#family-" + family.family }, [el("h2", { text: family.name })]);
      var countsNode = el("div", { className: "counts" });
      ["on_track", "at_risk", "off_track", "none", "nodata"].forEach(function (key) {
        if (!counts[key]) return;
        countsNode.appendChild(el("span", { className: "status-" + (key === "nodata" ? "none" : key) },
          [STATUS[key].icon + " " + counts[key] + " " + STATUS[key].label.toLowerCase()]));
      });
      if (!actual.length) countsNode.appendChild(el("span", { text: "forecast only" }));
      tile.appendChild(countsNode);
      overview.appendChild(tile);
    });
    renderAttention(attention);
    var notMeasured = document.getElementById("not-measured");
    notMeasured.innerHTML = "";
    notMeasured.hidden = !missing.length;
    if (missing.length) {
      notMeasured.appendChild(el("h2", { text: "Not measured yet" }));
      notMeasured.appendChild(el("p", { text: missing.map(function (f) { return f.name; }).join(", ") +
        ": no KPI of these families is in the warehouse yet. They appear here as soon as a source that feeds them is " +
        "configured (see the Sources table in README.md and docs/kpis.md)." }));
    }
    var drawn = queued.map(function (draw) { return draw(); });
    Promise.all(drawn).then(function () {
      document.documentElement.setAttribute("data-ready", "true");
      document.documentElement.setAttribute("data-charts", String(drawn.length));
    });
  }

  function bindControls() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-grain]"), function (button) {
      button.addEventListener("click", function () {
        state.grain = button.getAttribute("data-grain");
        Array.prototype.forEach.call(document.querySelectorAll("[data-grain]"), function (b) {
          b.setAttribute("aria-pressed", String(b === button));
        });
        render();
      });
    });
    var selects = document.querySelectorAll("select[data-dimension]");
    Array.prototype.forEach.call(selects, function (select) {
      select.addEventListener("change", function () {
        // KPIs are broken down by one dimension at a time: choosing a team clears the service.
        Array.prototype.forEach.call(selects, function (other) { if (other !== select) other.value = ""; });
        state.dimension = select.value ? select.getAttribute("data-dimension") : "all";
        state.value = select.value || "all";
        render();
      });
    });
  }

  if (!window.Plotly) {
    document.getElementById("families").appendChild(
      el("p", { className: "notice", text: "The chart library did not load (assets/ missing beside index.html?)." }));
    return;
  }
  renderFreshness();
  bindControls();
  render();
  window.itopsReport = { data: DATA, state: state, render: render };
})();
