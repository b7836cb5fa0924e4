// The dashboard's charts (ECharts, vendored under vendor/echarts): the numbers are the tables'
// (a <script type="application/json"> element); a click on a bar or a point opens the cases
// behind it (the same drill-down URL as the table's number).
(function () {
  "use strict";
  var el = document.getElementById("dashboard-data");
  if (!el || typeof echarts === "undefined") { return; }
  var data = JSON.parse(el.textContent);
  var charts = [];
  function chart(id, option) {
    var node = document.getElementById(id);
    if (!node) { return null; }
    node.classList.add("chart-on");
    var c = echarts.init(node, null, { renderer: "svg" });
    c.setOption(option);
    charts.push(c);
    return c;
  }
  var narrow = window.innerWidth < 600;
  var grid = { left: narrow ? 36 : 8, right: 8, top: 36, bottom: 8, containLabel: true };
  // urls: one list per series (by the series' key), indexed like the series' data.
  function drill(c, urls) {
    if (!c) { return; }
    c.on("click", function (p) {
      var list = Array.isArray(urls) ? urls : urls[p.seriesId];
      var url = list && list[p.dataIndex];
      if (url) { window.location.href = url; }
    });
  }
  var agencies = chart("chart-agencies", {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: grid,
    xAxis: {
      type: "category",
      data: data.agencies.names,
      axisLabel: narrow ? { interval: 0, rotate: 35, width: 110, overflow: "truncate" } : { interval: 0, width: 90, overflow: "break" }
    },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { id: "opened", name: "立案", type: "bar", data: data.agencies.opened, cursor: "pointer" },
      { id: "closed", name: "终结", type: "bar", data: data.agencies.closed, cursor: "pointer" },
      { id: "archived", name: "归档", type: "bar", data: data.agencies.archived, cursor: "pointer" }
    ]
  });
  drill(agencies, data.agencies.urls);
  var articles = chart("chart-articles", {
    tooltip: { trigger: "axis" },
    grid: grid,
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", inverse: true, data: data.articles.labels },
    series: [{ name: "违规项", type: "bar", data: data.articles.counts, cursor: "pointer" }]
  });
  drill(articles, data.articles.urls);
  var months = chart("chart-months", {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: grid,
    xAxis: { type: "category", data: data.months.labels },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { id: "cases", name: "立案", type: "line", data: data.months.cases, cursor: "pointer" },
      { id: "violations", name: "违规项", type: "line", data: data.months.violations, cursor: "pointer" }
    ]
  });
  drill(months, data.months.urls);
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
})();
