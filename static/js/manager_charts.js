// The managers' dashboard charts, drawn by Chart.js (static/vendor/chartjs) in place of the
// SVG the server drew first (which stays for a browser without JavaScript): tooltips, a legend
// and the page's language for numbers and dates. The figures come from the page itself
// (json_script "manager-chart-data", manager/charts.py chart_data), the same as its tables.
(function () {
  "use strict";

  function color(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  // "#0b6e4f" (the page's accent) at this opacity.
  function shade(hex, alpha) {
    var n = parseInt(hex.replace("#", "").slice(0, 6), 16);
    if (isNaN(n)) return "rgba(11, 110, 79, " + alpha + ")";
    return "rgba(" + (n >> 16) + ", " + ((n >> 8) & 255) + ", " + (n & 255) + ", " + alpha + ")";
  }

  function canvasFor(box) {
    var svg = box.querySelector("svg");
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-labelledby", svg.getAttribute("aria-labelledby"));
    svg.replaceWith(canvas);
    box.classList.add("drawn");
    return canvas;
  }

  function perDay(box, data, locale) {
    return new window.Chart(canvasFor(box), {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          { label: data.names.created, data: data.created, backgroundColor: color("--accent", "#0b6e4f") },
          { label: data.names.solved, data: data.solved, backgroundColor: "#7c8db5" },
        ],
      },
      options: {
        locale: locale,
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }

  function heatmap(box, data, locale) {
    var peak = 1;
    var cells = [];
    data.grid.forEach(function (counts, weekday) {
      counts.forEach(function (n, hour) {
        peak = Math.max(peak, n);
        cells.push({ x: String(hour), y: data.weekdays[weekday], v: n });
      });
    });
    var accent = color("--accent", "#0b6e4f");
    return new window.Chart(canvasFor(box), {
      type: "matrix",
      data: {
        datasets: [{
          label: data.name,
          data: cells,
          backgroundColor: function (context) {
            var cell = context.dataset.data[context.dataIndex];
            return shade(accent, (0.06 + 0.94 * (cell ? cell.v / peak : 0)).toFixed(2));
          },
          borderWidth: 1,
          borderColor: color("--border", "#d0d7e2"),
          width: function (context) {
            var area = context.chart.chartArea;
            return area ? area.width / 24 - 2 : 10;
          },
          height: function (context) {
            var area = context.chart.chartArea;
            return area ? area.height / 7 - 2 : 10;
          },
        }],
      },
      options: {
        locale: locale,
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: { type: "category", labels: data.grid[0].map(function (_n, hour) { return String(hour); }),
               offset: true, grid: { display: false } },
          y: { type: "category", labels: data.weekdays, offset: true, reverse: true,
               grid: { display: false } },
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: function () { return ""; },
              label: function (context) {
                var cell = context.dataset.data[context.dataIndex];
                return cell.y + " " + cell.x + "h: " + cell.v.toLocaleString(locale);
              },
            },
          },
        },
      },
    });
  }

  function draw() {
    var source = document.getElementById("manager-chart-data");
    if (!source || !window.Chart) return;
    var data = JSON.parse(source.textContent);
    var locale = document.documentElement.lang || "pt-BR";
    var painters = { per_day: perDay, heatmap: heatmap };
    document.querySelectorAll("[data-chart]").forEach(function (box) {
      var paint = painters[box.dataset.chart];
      if (paint && data[box.dataset.chart] && box.querySelector("svg")) {
        paint(box, data[box.dataset.chart], locale);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
