/* Swagger UI in Chinese. Swagger UI has no translations of its own: this relabels its fixed
 * texts (buttons, headings, placeholders) wherever they appear, now and whenever it renders
 * again. Only whole texts that are Swagger UI's own are replaced; the API's names, paths,
 * schemas and examples are left exactly as they are. Loaded from our static files, after
 * django-ninja's swagger-ui-init.js (lawtrail/swagger.html), so the CSP's script-src 'self'
 * is enough. */
(function () {
  "use strict";
  var TEXTS = {
    "Try it out": "试一试",
    "Cancel": "取消",
    "Execute": "执行",
    "Clear": "清除",
    "Authorize": "授权",
    "Authorized": "已授权",
    "Logout": "注销",
    "Close": "关闭",
    "Available authorizations": "可用的认证方式",
    "Parameters": "参数",
    "No parameters": "无参数",
    "Request body": "请求体",
    "Responses": "响应",
    "Response body": "响应体",
    "Response headers": "响应头",
    "Server response": "服务器响应",
    "Request URL": "请求地址",
    "Request url": "请求地址",
    "Curl": "curl 命令",
    "Code": "状态码",
    "Description": "说明",
    "Details": "详情",
    "Links": "链接",
    "No links": "无链接",
    "Name": "名称",
    "Name:": "名称：",
    "In:": "位置：",
    "Value:": "值：",
    "Value": "值",
    "Type": "类型",
    "Example Value": "示例值",
    "Example": "示例",
    "Examples": "示例",
    "Schema": "结构",
    "Schemas": "数据结构",
    "Media type": "媒体类型",
    "Controls Accept header.": "控制 Accept 请求头。",
    // the same sentence as Swagger UI renders it: "Controls <code>Accept</code> header."
    "Controls": "决定",
    "header.": "请求头。",
    "Undocumented": "未在文档中说明",
    "Loading...": "加载中……",
    "required": "必填",
    "* required": "* 必填",
    "(path)": "（路径参数）",
    "(query)": "（查询参数）",
    "(header)": "（请求头）",
    "(cookie)": "（Cookie）",
    "(formData)": "（表单）",
    "Download": "下载",
    "Send empty value": "发送空值",
    "Reset": "重置",
    "Add string item": "添加一项",
    "Add item": "添加一项",
    "Default value": "默认值",
    "Available values": "可选值",
    "Deprecated": "已废弃",
    "deprecated": "已废弃",
    "Errors": "错误",
    "Hide": "隐藏",
    "Servers": "服务器",
    "Expand all": "全部展开",
    "Collapse all": "全部折叠",
    "Edit Value": "编辑值",
    "Edit": "编辑",
    "Choose File": "选择文件",
    "Please correct the following validation errors and try again.":
      "请更正以下校验错误后重试。",
    "Required field is not provided": "缺少必填项",
    "Failed to fetch.": "请求失败。",
    "Possible Reasons:": "可能的原因：",
    "CORS": "跨域限制",
    "Network Failure": "网络故障",
    "URL scheme must be \"http\" or \"https\" for CORS request.":
      "跨域请求的地址必须以 http 或 https 开头。",
    "No response from server": "服务器没有响应",
    "Unknown": "未知",
    "Duration": "耗时",
    "Response": "响应",
    "Filter by tag": "按标签筛选",
    "Copy to clipboard": "复制到剪贴板",
    "Authorization": "Authorization 请求头"
  };

  function translated(text) {
    var key = text.trim();
    if (!key || !Object.prototype.hasOwnProperty.call(TEXTS, key)) {
      return null;
    }
    // keep the spacing around the text, which Swagger UI's layout relies on
    return text.replace(key, TEXTS[key]);
  }

  function relabelAttributes(element) {
    ["placeholder", "title", "aria-label"].forEach(function (name) {
      var value = element.getAttribute(name);
      var label = value === null ? null : translated(value);
      if (label !== null) {
        element.setAttribute(name, label);
      }
    });
  }

  function relabel(root) {
    if (root.nodeType === Node.TEXT_NODE) {
      var label = translated(root.nodeValue);
      if (label !== null) {
        root.nodeValue = label;
      }
      return;
    }
    if (root.nodeType !== Node.ELEMENT_NODE) {
      return;
    }
    // code blocks hold the API's own examples and responses: never touched
    if (root.closest("pre, code, textarea")) {
      return;
    }
    relabelAttributes(root);
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    var node = walker.nextNode();
    while (node) {
      if (node.nodeType === Node.ELEMENT_NODE) {
        relabelAttributes(node);
      } else if (!(node.parentElement && node.parentElement.closest("pre, code, textarea"))) {
        var text = translated(node.nodeValue);
        if (text !== null) {
          node.nodeValue = text;
        }
      }
      node = walker.nextNode();
    }
  }

  var target = document.getElementById("swagger-ui") || document.body;
  relabel(target);
  new MutationObserver(function (mutations) {
    mutations.forEach(function (mutation) {
      if (mutation.type === "characterData") {
        relabel(mutation.target);
      } else {
        mutation.addedNodes.forEach(relabel);
      }
    });
  }).observe(target, { childList: true, subtree: true, characterData: true });
})();
