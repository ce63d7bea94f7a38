// The /docs page: renders /emulator/v1/openapi.json with nothing but the DOM.
// Every string from the document goes in as text (textContent), never as HTML.
"use strict";

const METHODS = ["get", "post", "put", "patch", "delete"];

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

function refName(ref) {
  return ref.split("/").pop();
}

// A short type label: `string | null`, `Message[]`, `"sms" | "voice"`.
function typeLabel(schema) {
  if (!schema || typeof schema !== "object") return "any";
  if (schema.$ref) return refName(schema.$ref);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  for (const key of ["oneOf", "anyOf"]) {
    if (schema[key]) return schema[key].map(typeLabel).join(" | ");
  }
  if (schema.allOf) return schema.allOf.map(typeLabel).join(" & ");
  let type = schema.type;
  if (Array.isArray(type)) return type.map((t) => typeLabel({ ...schema, type: t })).join(" | ");
  if (type === "array") {
    if (schema.prefixItems) return "[" + schema.prefixItems.map(typeLabel).join(", ") + "]";
    return typeLabel(schema.items) + "[]";
  }
  if (type === "object" && schema.additionalProperties && typeof schema.additionalProperties === "object") {
    return "{ [key]: " + typeLabel(schema.additionalProperties) + " }";
  }
  if (!type) return "any";
  return schema.format ? `${type} (${schema.format})` : type;
}

function refLink(schema) {
  if (schema && schema.$ref) {
    const name = refName(schema.$ref);
    return el("a", { href: "#schema-" + name }, name);
  }
  return el("span", { class: "type" }, typeLabel(schema));
}

// An object's properties as a table; other schemas as their type.
function schemaView(schema) {
  const box = el("div", { class: "schema" });
  if (!schema) return box;
  if (schema.$ref) {
    box.append(refLink(schema));
    return box;
  }
  const parts = schema.allOf || [schema];
  const rows = [];
  for (const part of parts) {
    if (part.$ref) {
      box.append(el("div", {}, "all of ", refLink(part), " and:"));
      continue;
    }
    const required = new Set(part.required || []);
    for (const [name, prop] of Object.entries(part.properties || {})) {
      rows.push(el("tr", {},
        el("td", {}, el("code", {}, name), required.has(name) ? el("span", { class: "req" }, " required") : null),
        el("td", {}, typeCell(prop)),
        el("td", { class: "desc" }, prop.description || "")));
    }
  }
  if (rows.length) {
    box.append(el("table", {}, el("tr", {}, el("th", {}, "field"), el("th", {}, "type"), el("th", {}, "")), ...rows));
  } else if (!schema.allOf) {
    box.append(el("span", { class: "type" }, typeLabel(schema)));
  }
  if (schema.description && !schema.properties) box.append(el("div", { class: "desc" }, schema.description));
  return box;
}

// A property's type, linking the components it names.
function typeCell(schema) {
  const span = el("span", { class: "type" });
  const refs = [];
  (function collect(s) {
    if (!s || typeof s !== "object") return;
    if (s.$ref) refs.push(refName(s.$ref));
    for (const key of ["items", "additionalProperties"]) collect(s[key]);
    for (const key of ["oneOf", "anyOf", "allOf", "prefixItems"]) (s[key] || []).forEach(collect);
  })(schema);
  span.append(typeLabel(schema));
  for (const name of refs) span.append(" ", el("a", { href: "#schema-" + name }, "→ " + name));
  return span;
}

function contentView(content) {
  const box = el("div", {});
  for (const [type, media] of Object.entries(content || {})) {
    box.append(el("div", {}, el("code", {}, type)), schemaView(media.schema));
  }
  return box;
}

function operationView(path, method, op) {
  const body = el("div", { class: "op-body" });
  if (op.description) body.append(el("p", { class: "desc" }, op.description));
  if (op.operationId) body.append(el("p", {}, "operationId ", el("code", {}, op.operationId)));
  const params = op.parameters || [];
  if (params.length) {
    body.append(el("h4", {}, "Parameters"));
    body.append(el("table", {},
      el("tr", {}, el("th", {}, "name"), el("th", {}, "in"), el("th", {}, "type"), el("th", {}, "")),
      ...params.map((p) => el("tr", {},
        el("td", {}, el("code", {}, p.name), p.required ? el("span", { class: "req" }, " required") : null),
        el("td", {}, p.in),
        el("td", {}, typeCell(p.schema)),
        el("td", { class: "desc" }, p.description || "")))));
  }
  if (op.requestBody) {
    body.append(el("h4", {}, "Request body"));
    if (op.requestBody.description) body.append(el("p", { class: "desc" }, op.requestBody.description));
    body.append(contentView(op.requestBody.content));
  }
  body.append(el("h4", {}, "Responses"));
  for (const [status, response] of Object.entries(op.responses || {})) {
    body.append(el("div", {}, el("span", { class: "status" }, status), " ", response.description || ""));
    body.append(contentView(response.content));
  }
  const firstLine = (op.summary || "").split("\n")[0];
  return el("details", { class: "op", id: op.operationId || "" },
    el("summary", {},
      el("span", { class: "method " + method }, method),
      el("span", { class: "path" }, path),
      el("span", { class: "summary" }, firstLine)),
    body);
}

function render(doc) {
  const api = document.getElementById("api");
  document.getElementById("title").textContent = `${doc.info.title} ${doc.info.version}`;
  if (doc.info.description) {
    document.getElementById("intro").append(el("div", { class: "desc" }, doc.info.description));
  }
  const byTag = new Map((doc.tags || []).map((t) => [t.name, { tag: t, ops: [] }]));
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const name = (op.tags || ["other"])[0];
      if (!byTag.has(name)) byTag.set(name, { tag: { name }, ops: [] });
      byTag.get(name).ops.push(operationView(path, method, op));
    }
  }
  for (const { tag, ops } of byTag.values()) {
    if (!ops.length) continue;
    api.append(el("h2", { id: "tag-" + tag.name }, tag.name));
    if (tag.description) api.append(el("p", { class: "desc" }, tag.description));
    api.append(...ops);
  }
  api.append(el("h2", { id: "schemas" }, "Schemas"));
  for (const [name, schema] of Object.entries((doc.components || {}).schemas || {})) {
    api.append(el("h3", { id: "schema-" + name }, name));
    if (schema.description) api.append(el("p", { class: "desc" }, schema.description));
    api.append(schemaView({ ...schema, description: undefined }));
  }
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
}

fetch("/emulator/v1/openapi.json")
  .then((r) => {
    if (!r.ok) throw new Error(`${r.status} ${r.statusText}`);
    return r.json();
  })
  .then(render)
  .catch((e) => {
    document.getElementById("error").textContent = "Could not load the document: " + e.message;
  });
