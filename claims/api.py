"""The HTTP API's request and response models, and the route registry behind its OpenAPI 3
document.

Request bodies are validated by these pydantic models; responses are described by those of
claims/responses.py. The document is generated from the routes as they are registered, so it
cannot drift from the code.
"""

from __future__ import annotations

import csv
import io
import math
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from claims.catalog import CODE, MAX_CODE_TEXT, SLUG
from claims.models import CLAIM_STATUSES
from claims.policy import OUTCOMES, REASON_CODES
from claims.responses import Problem
from claims.service import REVEAL_REASON, STATEMENT
from claims.webhooks import EVENTS, WEBHOOK_URL

__all__ = ["Registry", "shade_record"]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- requests ---------------------------------------------------------------------------


class RevealIn(_Closed):
    reason: str = Field(min_length=10, max_length=1000, pattern=REVEAL_REASON.pattern,
                        description="why the raw photo is needed (10 characters or more "
                        "between the first and last that are not blanks)")  # fmt: skip
    which: Literal["photo", "baseline", "heatmap"] = "photo"


class AppealIn(_Closed):
    statement: str = Field(min_length=10, max_length=2000, pattern=STATEMENT.pattern,
                           description="why the decision is wrong (10 characters or more "
                           "between the first and last that are not blanks)")  # fmt: skip


class DecisionIn(_Closed):
    """A decision: the reason code must apply to the claim's type and must not contradict the
    outcome (an approval "because the colour is within tolerance" is refused with 422;
    claims/policy.py TYPE_REASONS, CONTRADICTING_REASONS)."""

    outcome: Literal[OUTCOMES]  # type: ignore[valid-type]
    reason_code: Literal[REASON_CODES]  # type: ignore[valid-type]
    note: str = Field(default="", max_length=2000)


class WebhookIn(_Closed):
    """An endpoint to tell of claims' events (claims/webhooks.py)."""

    url: str = Field(max_length=2000, pattern=WEBHOOK_URL.pattern,
                     description="where the events are posted (http:// or https://)")  # fmt: skip
    events: list[Literal[EVENTS]] | None = Field(  # type: ignore[valid-type]
        default=None, min_length=1, description="the events it wants (default: all)"
    )
    brand: str | None = Field(
        default=None,
        pattern=SLUG.pattern,
        description="only this brand's claims (default: every claim)",
    )


class ShadeIn(_Closed):
    """A shade calibration from spectrophotometer CIELAB, or from spectral reflectance."""

    sku: str = Field(min_length=1, max_length=64, pattern=CODE.pattern)
    shade: str = Field(min_length=1, max_length=64, pattern=CODE.pattern)
    name: str = Field(default="", max_length=200)
    lab: list[float] | None = Field(default=None, min_length=3, max_length=3,
                                    description="L*, a*, b* (D65, 2° unless stated)")  # fmt: skip
    illuminant: str = "D65"
    observer: Literal["2", "10"] = "2"
    spectral: dict[str, float] | None = Field(
        default=None, description="wavelength in nm (as text) → reflectance 0-1"
    )
    tolerance: float | None = Field(default=None, ge=0.1, le=20)

    @field_validator("lab")
    @classmethod
    def _lab_range(cls, v):
        if v is not None and not (0 <= v[0] <= 100 and all(-200 <= x <= 200 for x in v[1:])):
            raise ValueError("expected L* in 0-100 and a*, b* in ±200")
        return v

    @field_validator("spectral")
    @classmethod
    def _wavelengths(cls, v):
        for key in v or ():
            try:
                ok = math.isfinite(float(key))
            except ValueError:
                ok = False
            if not ok:
                raise ValueError(f'expected wavelengths in nm as keys (like "550"), got {key!r}')
        return v


class ShadeFormIn(_Closed):
    sku: str = Field(min_length=1, max_length=64, pattern=CODE.pattern)
    shade: str = Field(min_length=1, max_length=64, pattern=CODE.pattern)
    name: str = Field(default="", max_length=200)
    roi: str = Field(description="the swatch region X,Y,W,H in the photo")
    tolerance: float | None = Field(default=None, ge=0.1, le=20)


class SkuIn(_Closed):
    name: str | None = Field(default=None, max_length=200)
    ingredients: list[str] | None = Field(default=None, max_length=300)
    #: the batch codes produced (replacing those listed; [] lists none): a claim naming
    #: another is told to the adjudicator and never approved automatically
    batches: list[str] | None = Field(default=None, max_length=2000)


class PolicyIn(_Closed):
    auto_approve: list[Literal["shade_mismatch", "allergy_no_proof"]] | None = None
    no_proof_allergy: bool | None = None


SHADES_CSV = (
    "text/csv",
    "spectrophotometer CIELAB, a row per reading (columns shade, L, a, b, illuminant, "
    "observer; optional name; a shade's readings are averaged, their spread in its U), or "
    "spectral reflectance (first column wavelength in nm, then a column per shade)",
)

# query parameters: name → (JSON schema, description)
CLAIM_LIST_QUERY = {
    "status": ({"type": "array", "items": {"type": "string", "enum": list(CLAIM_STATUSES)}},
               "only claims in these statuses (repeated: `status=ready&status=appealed`, the "
               "claims awaiting a decision)"),
    "type": ({"type": "string", "enum": ["shade", "redness"]}, "only claims of this type"),
    "limit": ({"type": "integer", "minimum": 1, "maximum": 200}, "page size"),
    "offset": ({"type": "integer", "minimum": 0, "maximum": 10**9}, "page start"),
    "order": ({"type": "string", "enum": ["newest", "oldest"]},
              "newest filed first (the default), or oldest first: a queue's order"),
    "order_ref": ({"type": "string", "maxLength": 100}, "only the claims of this order number"),
    "sku": ({"type": "string", "maxLength": 100}, "only the claims of this product (SKU code)"),
    "related": ({"type": "boolean"}, "(staff) only the claims with related claims: on the same "
                "order, or with the same picture (each item's `related_counts`)"),
}  # fmt: skip

DELIVERIES_QUERY = {
    "state": ({"type": "string", "enum": ["pending", "delivered", "failed"]},
              "only deliveries in this state"),
    "limit": ({"type": "integer", "minimum": 1, "maximum": 500}, "how many, newest first"),
}  # fmt: skip

DRY_RUN_QUERY = {
    "dry_run": ({"type": "boolean"}, "check and show the calibration without saving it"),
}
SHADES_QUERY = {"sku": ({"type": "string"}, "only this SKU code")}
REPORT_QUERY = {
    "decision": (
        {"type": "string", "enum": ["current", "appealed"]},
        "the decision in force (the default: an appeal's once decided), or the "
        "decision the appeal was made against",
    ),
}

ROI = {"type": "string", "pattern": r"^[0-9]+,[0-9]+,[0-9]+,[0-9]+$"}

# multipart bodies: field → (type or JSON schema, description, required)
CLAIM_FORM = {
    "type": ("string", "shade | redness", True),
    "sku": ("string", "the product's SKU code", True),
    "brand": ("string", "brand slug, when the SKU code is not unique", False),
    "shade": ("string", "shade code (shade claims)", False),
    "order_ref": (
        {"type": "string", "maxLength": MAX_CODE_TEXT},
        "the shop's order reference (spaces around it aside)",
        False,
    ),
    "batch": (
        {"type": "string", "maxLength": MAX_CODE_TEXT},
        "batch / lot number printed on the product (spaces around it aside)",
        False,
    ),
    "roi": (ROI, "product region X,Y,W,H in the photo (shade claims)", False),
    "consent_version": ("string", "version of the consent notice accepted", True),
    "consent_facial": ("boolean", "consent to processing the face photo", True),
    "consent_health": ("boolean", "consent to redness (health data) analysis", False),
    "photo": ("binary", "JPEG, PNG, WebP or HEIC", True),
    "baseline": ("binary", "an earlier photo (redness claims)", False),
}
MEASURE_FORM = {
    "photo": ("binary", "photo with a ColorChecker", True),
    "roi": (ROI, "X,Y,W,H", True),
    "reference_lab": ("string", "L,A,B", False),
    "tolerance": ("number", "ΔE00 tolerance", False),
}
SHADE_FORM = {
    "photo": ("binary", "swatch photo with a ColorChecker", True),
    "roi": (ROI, "swatch region X,Y,W,H", True),
    "sku": ("string", "SKU code", True),
    "shade": ("string", "shade code", True),
    "name": ("string", "shade name", False),
    "tolerance": ("number", "ΔE00 tolerance for this shade", False),
}


def shade_record(body: ShadeIn):
    """The :class:`calibration.swatch.SwatchCalibration` of a JSON shade body."""
    from calibration import swatch
    from calibration.errors import InvalidInputError

    if (body.lab is None) == (body.spectral is None):
        raise InvalidInputError("expected exactly one of 'lab' or 'spectral'")
    if body.lab is not None:
        csv_text = _csv([["shade", "L", "a", "b", "illuminant", "observer"],
                         [body.shade, *body.lab, body.illuminant, body.observer]])  # fmt: skip
        (record,) = swatch.calibrate_from_lab_csv(csv_text.encode())
        return record
    rows = sorted((float(k), v) for k, v in body.spectral.items())
    csv_text = _csv([["wavelength", body.shade], *rows])
    (record,) = swatch.calibrate_from_spectral_csv(csv_text.encode())
    return record


def _csv(rows) -> str:
    """Rows as CSV text, each value quoted where it needs it (one with a comma)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


_ERRORS = {
    401: "no or unknown bearer token",
    403: "the role may not do this",
    404: "no such thing (or not yours)",
    409: "wrong state for this",
    413: "too large",
    415: "unsupported media type",
    422: "invalid input",
}


class Registry:
    """Registers Flask routes and remembers them for the OpenAPI document."""

    def __init__(self, app, prefix: str):
        self.app, self.prefix = app, prefix
        self.ops: list[dict] = []
        self.schemas: dict[str, dict] = {}

    def _add(self, method, rule, *, summary, auth=True, body=None, multipart=None,
             response=None, status=200, produces="application/json", query=None,
             headers=None, errors=None, raw=None):  # fmt: skip
        """``errors``: status → description of problems this route alone answers; ``raw``:
        (media type, description) of a body that is no JSON (a CSV file)."""

        def deco(view):
            endpoint = f"{method.lower()}_{view.__name__}"
            self.app.add_url_rule(self.prefix + rule, endpoint, view, methods=[method])
            self.ops.append(dict(method=method.lower(), rule=rule, summary=summary, auth=auth,
                                 body=body, multipart=multipart, response=response,
                                 status=status, produces=produces, query=query or {},
                                 headers=headers or {}, errors=errors or {}, raw=raw,
                                 name=view.__name__))  # fmt: skip
            return view

        return deco

    def get(self, rule, **kw):
        return self._add("GET", rule, **kw)

    def post(self, rule, **kw):
        return self._add("POST", rule, **kw)

    def put(self, rule, **kw):
        return self._add("PUT", rule, **kw)

    def delete(self, rule, **kw):
        return self._add("DELETE", rule, **kw)

    def document(self, model) -> None:
        """Describe ``model`` in the document's schemas without a route (what the service
        sends rather than answers: a webhook's event)."""
        self._ref(model)

    def _ref(self, model) -> dict:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            self.schemas[name] = sub
        self.schemas[model.__name__] = schema
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    def openapi(self, *, title: str, version: str) -> dict:
        paths: dict = {}
        problem = self._ref(Problem)
        for op in self.ops:
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", self.prefix + op["rule"])
            params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                      for n in re.findall(r"{(\w+)}", path)]  # fmt: skip
            for where, named in (("query", op["query"]), ("header", op["headers"])):
                params += [
                    {"name": n, "in": where, "required": False, "description": d,
                     "schema": schema}
                    for n, (schema, d) in named.items()
                ]  # fmt: skip
            item = {"summary": op["summary"], "operationId": op["name"], "parameters": params}
            content = {}
            if op["body"] is not None:
                content["application/json"] = {"schema": self._ref(op["body"])}
            if op["multipart"]:
                props, required = {}, []
                for field, (kind, desc, req) in op["multipart"].items():
                    if kind == "binary":
                        kind = {"type": "string", "format": "binary"}
                    elif isinstance(kind, str):
                        kind = {"type": kind}
                    props[field] = kind | {"description": desc}
                    if req:
                        required.append(field)
                content["multipart/form-data"] = {
                    "schema": {"type": "object", "properties": props, "required": required}
                }
            if op["raw"]:
                media, desc = op["raw"]
                content[media] = {"schema": {"type": "string", "description": desc}}
            if content:
                item["requestBody"] = {"required": True, "content": content}
            ok = {"description": "OK"}
            if op["response"] is not None:
                ok["content"] = {"application/json": {"schema": self._ref(op["response"])}}
            elif op["produces"].startswith("text/"):
                ok["content"] = {op["produces"]: {"schema": {"type": "string"}}}
            elif op["produces"] != "application/json":
                ok["content"] = {op["produces"]: {"schema": {"type": "string",
                                                             "format": "binary"}}}  # fmt: skip
            responses = {str(op["status"]): ok}
            if op["query"] is DRY_RUN_QUERY:  # a dry run stores nothing: 200, not 201
                responses["200"] = {**ok, "description": "a dry run: shown, nothing stored"}
            for code, text in {**_ERRORS, **op["errors"]}.items():
                if code in (401, 403) and not op["auth"]:
                    continue
                responses[str(code)] = {"description": text, "content": {
                    "application/problem+json": {"schema": problem}}}  # fmt: skip
            item["responses"] = responses
            if op["auth"]:
                item["security"] = [{"bearer": []}]
            paths.setdefault(path, {})[op["method"]] = item
        return {
            "openapi": "3.0.3",
            "info": {
                "title": title,
                "version": version,
                "description": "Evidence-grade colour and skin measurements for beauty "
                "after-sales claims.",
            },
            "paths": paths,
            "components": {
                "schemas": self.schemas,
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            },
        }
