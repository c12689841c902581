// The API as the pages see it: one place that speaks HTTP, converts the API's snake_case
// field names to camelCase (and back), and turns problem+json errors into exceptions.
const BASE = "/api/v1";

export const toCamel = (s) => s.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
export const toSnake = (s) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export function camelize(value) {
  if (Array.isArray(value)) return value.map(camelize);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [toCamel(k), camelize(v)]));
  }
  return value;
}

export function snakify(value) {
  if (Array.isArray(value)) return value.map(snakify);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [toSnake(k), snakify(v)]));
  }
  return value;
}

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export function token() {
  return localStorage.getItem("hueproof.token") || "";
}

export function setToken(value) {
  localStorage.setItem("hueproof.token", value.trim());
}

function headers(extra = {}) {
  const h = { ...extra };
  if (token()) h.Authorization = `Bearer ${token()}`;
  return h;
}

export async function call(method, path, body, extraHeaders = {}) {
  const init = { method, headers: headers(extraHeaders) };
  if (body instanceof FormData || body instanceof Blob) init.body = body;  // a file: as it is
  else if (typeof body === "string") {  // JSON text sent as it is (a signed report's file)
    init.body = body;
    init.headers["Content-Type"] = "application/json";
  } else if (body !== undefined) {
    init.body = JSON.stringify(snakify(body));
    init.headers["Content-Type"] = "application/json";
  }
  const resp = await fetch(BASE + path, init);
  const data = resp.headers.get("Content-Type")?.includes("json") ? await resp.json() : null;
  if (!resp.ok) throw new ApiError(resp.status, data);
  return camelize(data);
}

/** A POST the browser still sends while the page goes away (letting go of a hold). */
export function postAsLeaving(path) {
  fetch(BASE + path, { method: "POST", keepalive: true, headers: headers() }).catch(() => {});
}

export const get = (path) => call("GET", path);
export const post = (path, body, h) => call("POST", path, body, h);
export const put = (path, body) => call("PUT", path, body);
export const del = (path) => call("DELETE", path);

/** A file the API serves behind the bearer token (an image, a signed report), as an object
 *  URL of its bytes exactly as served (a report's signature covers them). */
export async function fileUrl(path) {
  const resp = await fetch(BASE + path, { headers: headers() });
  if (!resp.ok) throw new ApiError(resp.status, await resp.json().catch(() => null));
  return URL.createObjectURL(await resp.blob());
}

/** A text the API serves behind the bearer token, exactly as served (a signed report's bytes,
 *  the metrics' Prometheus text). */
export async function getText(path) {
  const resp = await fetch(BASE + path, { headers: headers() });
  if (!resp.ok) throw new ApiError(resp.status, await resp.json().catch(() => null));
  return resp.text();
}

/** Download a decided claim's signed report, fetched when asked for, as the file the server
 *  serves (which `hueproof verify` checks). */
export const downloadReport = (claimId) =>
  download(`/claims/${claimId}/report`, `hueproof-report-${claimId}.json`);

/** A file the API serves behind the bearer token, saved as `name` (bytes as served). */
export async function download(path, name) {
  const a = document.createElement("a");
  a.href = await fileUrl(path);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/** Ask the service whether a decision report's file is one it signed, unchanged: the file's
 *  text goes as it is (its field names are the report's own, not the pages' camelCase). */
export const checkReport = (text) => post("/reports/verify", text);

/** Upload a multipart form with progress and retries under one Idempotency-Key. */
export function upload(path, form, { key, onProgress, retries = 3 } = {}) {
  const attempt = (n) => new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", BASE + path);
    Object.entries(headers({ "Idempotency-Key": key })).forEach(([k, v]) => xhr.setRequestHeader(k, v));
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress?.(e.loaded / e.total);
    xhr.onload = () => {
      const data = (() => { try { return JSON.parse(xhr.responseText); } catch { return null; } })();
      if (xhr.status >= 200 && xhr.status < 300) resolve(camelize(data));
      else if (xhr.status >= 500 && n < retries) resolve(attempt(n + 1));
      else reject(new ApiError(xhr.status, data));
    };
    xhr.onerror = () => (n < retries ? setTimeout(() => resolve(attempt(n + 1)), 500 * 2 ** n)
      : reject(new ApiError(0, { detail: "network error" })));
    xhr.send(form);
  });
  return attempt(0);
}
