/*
 * Keyplan front-end glue. Loaded with `defer` on every page, after Bootstrap, htmx and
 * Chart.js. The app runs under a strict CSP, so there are no inline scripts or handlers:
 * all behaviour hangs off data- attributes and is wired here with event delegation, which
 * also covers content swapped in by htmx.
 *
 *   window.Keyplan.palette        categorical chart colours (array) + named .ok .warn .bad .none .primary
 *   window.Keyplan.format         money(v, prefix) -> "USD 1,250,000", compact(v) -> "1.25M",
 *                                 percent(v) -> "12.5%", number(v) -> "1,250"
 *   window.Keyplan.initCharts(root)
 *
 * Charts:
 *   <div class="kp-chart">
 *     <canvas data-chart="bar" data-chart-config-id="growth-chart" aria-label="AR by quarter"></canvas>
 *   </div>
 *   {{ chart|json_script:"growth-chart" }}   (<script type="application/json" id="growth-chart">)
 *
 *   Config JSON: {
 *     "labels": ["Q1", "Q2"],
 *     "datasets": [{"label": "AR", "data": [1250000, 900000],
 *                   "color": "ok" | "#hex" | ["ok", "bad"],   (optional; default palette order)
 *                   "type": "line", "stack": "s1", "dashed": true, "fill": true, "hidden": false,
 *                   "points": true (line type: markers only, no line; null values skipped)}],
 *     "format": "money" | "percent",   (optional; percent data are percentage points: 12.5 = 12.5%)
 *     "yPrefix": "USD ",               (optional; money: shown as the value-axis title and in tooltips)
 *     "stacked": false, "horizontal": false, "legend": true|false, "title": "…"  (all optional)
 *   }
 *
 * Other behaviour:
 *   <form data-autosubmit>             submits when any <select> inside changes
 *   <select data-autosubmit>           submits its own form on change
 *   data-confirm="Delete this plan?"   on a form, submit button, link or htmx button: confirm() first
 *   htmx requests carry X-CSRFToken from <meta name="csrf-token">.
 */
(function () {
  "use strict";

  var doc = document;
  doc.documentElement.classList.add("kp-js");

  // ------------------------------------------------------------------ palette

  // Categorical colours avoid the status hues (green/amber/red/grey carry meaning), and each
  // has >= 3:1 contrast against white (WCAG 1.4.11 for graphical objects).
  var palette = [
    "#1d4ed8", // blue
    "#0e7490", // teal
    "#7c3aed", // violet
    "#be185d", // magenta
    "#1e3a8a", // navy
    "#a16207", // ochre
  ];
  palette.primary = "#1d4ed8";
  palette.ok = "#198754";
  palette.warn = "#d97706";
  palette.bad = "#dc3545";
  palette.none = "#6c757d";
  Object.freeze(palette);
  var NAMED = ["primary", "ok", "warn", "bad", "none"];

  function resolveColour(value, fallbackIndex) {
    if (Array.isArray(value)) {
      return value.map(function (v, i) {
        return resolveColour(v, i);
      });
    }
    if (typeof value === "string" && value) {
      return NAMED.indexOf(value) !== -1 ? palette[value] : value;
    }
    return palette[fallbackIndex % palette.length];
  }

  function withAlpha(hex, alpha) {
    if (typeof hex !== "string" || !/^#[0-9a-f]{6}$/i.test(hex)) return hex;
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + ((n >> 16) & 255) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + alpha + ")";
  }

  // ------------------------------------------------------------------ number formatting

  var LOCALE = "en-US"; // matches the server's "USD 1,250,000"
  var fmtInt = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });
  var fmtUpTo2 = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 2 });
  var fmtUpTo1 = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 1 });
  var fmtExactly1 = new Intl.NumberFormat(LOCALE, {
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  });
  var UNITS = [
    [1e12, "T"],
    [1e9, "B"],
    [1e6, "M"],
    [1e3, "K"],
  ];

  function isNumber(v) {
    return v !== null && v !== "" && isFinite(Number(v));
  }

  /** 1250000 -> "1.25M", 2500 -> "2.5K", 950 -> "950", -3000000 -> "-3M". */
  function compact(value) {
    if (!isNumber(value)) return "";
    var n = Number(value);
    var abs = Math.abs(n);
    for (var i = 0; i < UNITS.length; i++) {
      var scaled = Math.round((abs / UNITS[i][0]) * 100) / 100;
      if (scaled >= 1) {
        // 999,999 rounds to 1000K: move up to the next unit instead.
        if (scaled >= 1000 && i > 0) {
          scaled = Math.round((abs / UNITS[i - 1][0]) * 100) / 100;
          return (n < 0 ? "-" : "") + fmtUpTo2.format(scaled) + UNITS[i - 1][1];
        }
        return (n < 0 ? "-" : "") + fmtUpTo2.format(scaled) + UNITS[i][1];
      }
    }
    return fmtUpTo2.format(n);
  }

  /** Full money: money(1250000, "USD ") -> "USD 1,250,000". */
  function money(value, prefix) {
    if (!isNumber(value)) return "";
    return (prefix || "") + fmtInt.format(Number(value));
  }

  /** Percentage points with one decimal: 12.5 -> "12.5%". */
  function percent(value) {
    if (!isNumber(value)) return "";
    return fmtExactly1.format(Number(value)) + "%";
  }

  function number(value) {
    if (!isNumber(value)) return "";
    return fmtUpTo2.format(Number(value));
  }

  // ------------------------------------------------------------------ charts

  var reducedMotion =
    window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var chartDefaultsSet = false;

  function setChartDefaults(Chart) {
    if (chartDefaultsSet) return;
    chartDefaultsSet = true;
    var bodyFont = window.getComputedStyle(doc.body).fontFamily;
    if (bodyFont) Chart.defaults.font.family = bodyFont;
    Chart.defaults.font.size = 12;
    Chart.defaults.color = "#4b5563";
    Chart.defaults.borderColor = "#e5e7eb";
  }

  function tickFormatter(cfg) {
    if (cfg.format === "money") return compact;
    if (cfg.format === "percent") {
      return function (v) {
        return isNumber(v) ? fmtUpTo1.format(Number(v)) + "%" : "";
      };
    }
    var prefix = cfg.yPrefix || "";
    return function (v) {
      return isNumber(v) ? prefix + number(v) : "";
    };
  }

  function fullFormatter(cfg) {
    if (cfg.format === "money") {
      return function (v) {
        return money(v, cfg.yPrefix);
      };
    }
    if (cfg.format === "percent") return percent;
    var prefix = cfg.yPrefix || "";
    return function (v) {
      return isNumber(v) ? prefix + number(v) : "";
    };
  }

  function buildDataset(ds, index, chartType) {
    var type = ds.type || chartType;
    var colour = resolveColour(ds.color, index);
    var out = {
      label: ds.label || "",
      data: Array.isArray(ds.data) ? ds.data : [],
      hidden: !!ds.hidden,
    };
    if (ds.type) out.type = ds.type;
    if (ds.stack) out.stack = String(ds.stack);
    if (type === "line") {
      var line = Array.isArray(colour) ? colour[0] : colour;
      out.borderColor = line;
      out.backgroundColor = withAlpha(line, 0.12);
      out.pointBackgroundColor = line;
      out.pointBorderColor = line;
      out.pointRadius = 3;
      out.pointHoverRadius = 5;
      out.borderWidth = 2;
      out.tension = 0.25;
      out.fill = !!ds.fill;
      if (ds.dashed) out.borderDash = [6, 4];
      if (ds.points) {
        // Markers only (a comparison value on some bars): no line, a larger diamond.
        out.showLine = false;
        out.pointStyle = "rectRot";
        out.pointRadius = 7;
        out.pointHoverRadius = 9;
        out.pointBorderColor = "#fff";
        out.pointBorderWidth = 1.5;
      }
      out.order = 0; // lines drawn over bars in mixed charts
    } else {
      out.backgroundColor = colour;
      out.borderColor = colour;
      out.borderWidth = 0;
      out.borderRadius = 3;
      out.maxBarThickness = 48;
      out.order = 1;
    }
    return out;
  }

  function buildChart(canvas) {
    var Chart = window.Chart;
    if (!Chart || Chart.getChart(canvas)) return;
    var type = canvas.getAttribute("data-chart");
    if (type !== "bar" && type !== "line") {
      console.warn("Keyplan: unsupported data-chart type", type, canvas);
      return;
    }
    var configId = canvas.getAttribute("data-chart-config-id");
    var source = configId ? doc.getElementById(configId) : null;
    if (!source) {
      console.warn("Keyplan: chart config not found", configId, canvas);
      return;
    }
    var cfg;
    try {
      cfg = JSON.parse(source.textContent);
    } catch (err) {
      console.error("Keyplan: invalid chart config JSON in #" + configId, err);
      return;
    }
    setChartDefaults(Chart);

    var datasets = (cfg.datasets || []).map(function (ds, i) {
      return buildDataset(ds, i, type);
    });
    var horizontal = !!cfg.horizontal;
    var valueAxis = horizontal ? "x" : "y";
    var categoryAxis = horizontal ? "y" : "x";
    var full = fullFormatter(cfg);
    var axisTitle = cfg.format === "money" && cfg.yPrefix ? String(cfg.yPrefix).trim() : "";
    var showLegend = cfg.legend !== undefined ? !!cfg.legend : datasets.length > 1;
    var stacked = !!cfg.stacked;

    var scales = {};
    scales[categoryAxis] = {
      stacked: stacked,
      grid: { display: false },
      ticks: { autoSkip: true, maxRotation: 0 },
    };
    scales[valueAxis] = {
      stacked: stacked,
      beginAtZero: true,
      ticks: { callback: tickFormatter(cfg), maxTicksLimit: 6 },
      title: { display: !!axisTitle, text: axisTitle },
    };

    if (!canvas.hasAttribute("role")) canvas.setAttribute("role", "img");
    if (!canvas.hasAttribute("aria-label") && cfg.title) {
      canvas.setAttribute("aria-label", cfg.title);
    }

    var inSizedBox =
      canvas.parentElement && canvas.parentElement.classList.contains("kp-chart");

    new Chart(canvas, {
      type: type,
      data: { labels: cfg.labels || [], datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: !inSizedBox,
        indexAxis: horizontal ? "y" : "x",
        animation: reducedMotion ? false : { duration: 400 },
        interaction: { mode: "index", intersect: false },
        scales: scales,
        plugins: {
          legend: {
            display: showLegend,
            position: "bottom",
            labels: {
              usePointStyle: true,
              boxWidth: 8,
              boxHeight: 8,
              // keep the config's order even though lines are drawn over bars
              sort: function (a, b) {
                return a.datasetIndex - b.datasetIndex;
              },
            },
          },
          title: { display: false },
          tooltip: {
            itemSort: function (a, b) {
              return a.datasetIndex - b.datasetIndex;
            },
            callbacks: {
              label: function (ctx) {
                var v = ctx.parsed ? ctx.parsed[valueAxis] : ctx.raw;
                var text = full(v);
                if (text === "") return null;
                return ctx.dataset.label ? ctx.dataset.label + ": " + text : text;
              },
            },
          },
        },
      },
    });
  }

  /** Create charts for every canvas[data-chart] in root (default: the whole page). */
  function initCharts(root) {
    if (!window.Chart) return;
    root = root || doc;
    var canvases = [];
    if (root.matches && root.matches("canvas[data-chart]")) canvases.push(root);
    if (root.querySelectorAll) {
      canvases = canvases.concat(Array.prototype.slice.call(root.querySelectorAll("canvas[data-chart]")));
    }
    canvases.forEach(function (canvas) {
      try {
        buildChart(canvas);
      } catch (err) {
        console.error("Keyplan: chart failed", err, canvas);
      }
    });
  }

  /** Destroy charts whose canvas was swapped out of the page (htmx), so they don't leak. */
  function destroyDetachedCharts() {
    var Chart = window.Chart;
    if (!Chart || !Chart.instances) return;
    Object.keys(Chart.instances).forEach(function (key) {
      var chart = Chart.instances[key];
      if (chart && chart.canvas && !chart.canvas.isConnected) chart.destroy();
    });
  }

  // ------------------------------------------------------------------ Bootstrap tooltips

  function initTooltips(root) {
    if (!window.bootstrap || !window.bootstrap.Tooltip || !root.querySelectorAll) return;
    root.querySelectorAll('[data-bs-toggle="tooltip"]').forEach(function (el) {
      window.bootstrap.Tooltip.getOrCreateInstance(el);
    });
  }

  // ------------------------------------------------------------------ forms

  function submitForm(form) {
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit(); // fires "submit": htmx forms and data-confirm still apply
    } else {
      form.submit();
    }
  }

  doc.addEventListener("change", function (event) {
    var el = event.target;
    if (!(el instanceof Element) || !el.form) return;
    var own = el.hasAttribute("data-autosubmit");
    var viaForm = el.tagName === "SELECT" && el.form.hasAttribute("data-autosubmit");
    if (own || viaForm) submitForm(el.form);
  });

  var HX_VERBS = ["hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete"];

  function hasHxVerb(el) {
    return HX_VERBS.some(function (attr) {
      return el.hasAttribute(attr);
    });
  }

  function isFormSubmitter(el) {
    if (!el.form || hasHxVerb(el)) return false;
    var type = (el.getAttribute("type") || "").toLowerCase();
    if (el.tagName === "BUTTON") return type === "" || type === "submit";
    if (el.tagName === "INPUT") return type === "submit" || type === "image";
    return false;
  }

  function cancel(event) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }

  // Capture phase on document: runs before htmx's listeners on the element itself.
  doc.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      var submitter = event.submitter;
      var message =
        (submitter && submitter.getAttribute("data-confirm")) ||
        (form.getAttribute && form.getAttribute("data-confirm"));
      if (message && !window.confirm(message)) cancel(event);
    },
    true
  );

  doc.addEventListener(
    "click",
    function (event) {
      var el = event.target instanceof Element ? event.target.closest("[data-confirm]") : null;
      if (!el || el.tagName === "FORM" || isFormSubmitter(el)) return; // forms: see "submit"
      if (!window.confirm(el.getAttribute("data-confirm"))) cancel(event);
    },
    true
  );

  // ------------------------------------------------------------------ global search
  // The top bar's live results (htmx fills #kp-search-live): Escape or a click elsewhere
  // closes them; emptying the box closes them too (the server answers nothing for "").

  function closeLiveSearch() {
    var live = doc.getElementById("kp-search-live");
    if (live) live.innerHTML = "";
  }

  doc.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && event.target.closest && event.target.closest(".kp-search")) {
      closeLiveSearch();
    }
  });

  doc.addEventListener("click", function (event) {
    if (!(event.target instanceof Element) || !event.target.closest(".kp-search")) {
      closeLiveSearch();
    }
  });

  // ------------------------------------------------------------------ htmx

  function csrfToken() {
    var meta = doc.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  doc.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token && event.detail && event.detail.headers) {
      event.detail.headers["X-CSRFToken"] = token;
    }
  });

  doc.addEventListener("htmx:afterSettle", function () {
    destroyDetachedCharts();
    initCharts(doc); // already-drawn canvases are skipped
    initTooltips(doc); // getOrCreateInstance: idempotent
  });

  doc.addEventListener("htmx:historyRestore", function () {
    destroyDetachedCharts();
    initCharts(doc);
  });

  // A failed htmx request swaps nothing (the user's input stays put); say so instead of
  // failing silently.
  function showRequestError(text) {
    var main = doc.getElementById("main");
    if (!main) return;
    var box = doc.getElementById("kp-messages");
    if (!box) {
      box = doc.createElement("div");
      box.id = "kp-messages";
      box.className = "kp-messages";
      main.insertBefore(box, main.firstChild);
    }
    var alert = doc.createElement("div");
    alert.className = "alert alert-danger alert-dismissible fade show";
    alert.setAttribute("role", "alert");
    var icon = doc.createElement("i");
    icon.className = "bi bi-exclamation-octagon-fill";
    icon.setAttribute("aria-hidden", "true");
    var body = doc.createElement("div");
    body.textContent = text;
    var close = doc.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", "Close");
    alert.appendChild(icon);
    alert.appendChild(body);
    alert.appendChild(close);
    box.appendChild(alert);
  }

  doc.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail && event.detail.xhr;
    var status = xhr ? xhr.status : 0;
    var text =
      status === 403
        ? "You don't have permission to do that, or your session has expired. Reload the page and try again."
        : status === 409
        ? "Someone else changed this while you were editing. Copy your text, then reload to see their changes."
        : "Something went wrong (HTTP " + status + "). Your changes were not saved; please try again.";
    showRequestError(text);
  });

  doc.addEventListener("htmx:sendError", function () {
    showRequestError("Could not reach the server. Check your connection and try again; nothing was saved.");
  });

  // ------------------------------------------------------------------ reference pickers
  //
  // <div data-picker>  (core.pickers.ReferencePicker)
  //   <input type="hidden" data-picker-value>   the chosen row's id
  //   <input data-picker-text hx-get=…>         htmx fetches suggestions as the user types
  //   <div role="listbox">                      <button data-picker-option data-value data-label>
  // Typing clears the id (the server then resolves the text); choosing a suggestion sets it.

  function pickerOf(el) {
    return el.closest ? el.closest("[data-picker]") : null;
  }

  function closePicker(picker) {
    var list = picker.querySelector("[role=listbox]");
    var text = picker.querySelector("[data-picker-text]");
    if (list) list.innerHTML = "";
    if (text) text.setAttribute("aria-expanded", "false");
  }

  function choose(option) {
    var picker = pickerOf(option);
    if (!picker) return;
    picker.querySelector("[data-picker-value]").value = option.getAttribute("data-value");
    var text = picker.querySelector("[data-picker-text]");
    text.value = option.getAttribute("data-label");
    closePicker(picker);
    text.focus();
  }

  doc.addEventListener("click", function (event) {
    var option = event.target.closest && event.target.closest("[data-picker-option]");
    if (option) {
      event.preventDefault();
      choose(option);
    }
  });

  doc.addEventListener("input", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-picker-text]")) {
      var picker = pickerOf(target);
      if (picker) picker.querySelector("[data-picker-value]").value = "";
    }
  });

  doc.addEventListener("keydown", function (event) {
    var target = event.target;
    var picker = pickerOf(target);
    if (!picker) return;
    var options = Array.prototype.slice.call(picker.querySelectorAll("[data-picker-option]"));
    var index = options.indexOf(target);
    if (event.key === "ArrowDown" && options.length) {
      event.preventDefault();
      options[Math.min(index + 1, options.length - 1)].focus();
    } else if (event.key === "ArrowUp" && index !== -1) {
      event.preventDefault();
      if (index === 0) picker.querySelector("[data-picker-text]").focus();
      else options[index - 1].focus();
    } else if (event.key === "Escape") {
      closePicker(picker);
      picker.querySelector("[data-picker-text]").focus();
    } else if (event.key === "Enter" && target.matches("[data-picker-text]") && options.length) {
      // Enter in the text box picks the first suggestion instead of submitting the form.
      event.preventDefault();
      choose(options[0]);
    }
  });

  doc.addEventListener("htmx:afterSwap", function (event) {
    var list = event.detail && event.detail.target;
    var picker = list && pickerOf(list);
    if (picker && list.getAttribute("role") === "listbox") {
      var text = picker.querySelector("[data-picker-text]");
      text.setAttribute("aria-expanded", list.children.length ? "true" : "false");
    }
  });

  doc.addEventListener("focusout", function (event) {
    var picker = pickerOf(event.target);
    if (!picker) return;
    // Close the suggestions once focus has left the picker altogether.
    setTimeout(function () {
      if (!picker.contains(doc.activeElement)) closePicker(picker);
    }, 150);
  });

  // ------------------------------------------------------------------ start

  window.Keyplan = {
    palette: palette,
    format: { money: money, compact: compact, percent: percent, number: number },
    initCharts: initCharts,
  };

  function start() {
    initCharts(doc);
    initTooltips(doc);
  }

  if (doc.readyState === "loading") {
    doc.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
