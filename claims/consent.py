"""The consent notice a shopper accepts before sending face photos.

Face photos are biometric-adjacent personal data and redness photos are health data: each
needs its own explicit consent (GDPR art. 9(2)(a); PIPL art. 28-29 for sensitive personal
information). The notice's version and the SHA-256 of its exact text are stored with every
consent, so what was agreed to can be proved later.
"""

from __future__ import annotations

import hashlib
import json

__all__ = ["NOTICE", "NOTICE_SHA256", "NOTICE_VERSION", "PURPOSE", "notice"]

#: 2026-12-07: the shop may be told of the claim's status and decision (webhooks); the photos
#: of a claim whose analysis failed are deleted as long after the failure. 2026-12-07.2: a
#: decision may be appealed; the photos are then kept until as long after the appeal's.
NOTICE_VERSION = "2026-12-07.2"
PURPOSE = "after-sales-claim"
RETENTION_DAYS = 30

NOTICE = {
    "zh": (
        "为处理您的售后申请，hueproof 将分析您上传的照片：测量商品颜色，并在红肿申请中"
        "分析皮肤发红区域。照片含有您的面部信息（敏感个人信息），红肿分析涉及健康信息，"
        "两者需分别同意。如您提供使用前的照片，系统会自动比对两张照片中的面部是否为同一人，"
        "仅保留比对分数。审核人员默认只看到打码后的照片；查看原图必须填写理由并被记录。"
        f"裁决后 {RETENTION_DAYS} 天删除原始照片，仅保留哈希值与去标识化的测量结果；"
        f"您对裁决提出申诉的，在申诉裁决后 {RETENTION_DAYS} 天删除，申诉理由随申请保存；"
        f"分析失败的申请，其照片在失败 {RETENTION_DAYS} 天后删除。"
        "您购买商品的店铺可能会收到申请的状态与裁决（不含照片与测量结果）。"
        "您可随时撤回同意：处理将停止，照片将被删除。"
    ),
    "en": (
        "To handle your after-sales claim, hueproof analyses the photos you upload: it "
        "measures the product's colour and, for redness claims, the reddened areas of skin. "
        "The photos show your face (sensitive personal data) and redness analysis concerns "
        "your health: each needs its own consent. If you send a photo from before, the two "
        "faces are compared automatically to check that they show the same person; only the "
        "comparison's score is kept. Reviewers see a pixelated photo by "
        "default; viewing the original requires a stated reason and is logged. Original "
        f"photos are deleted {RETENTION_DAYS} days after the decision (after the appeal's "
        "decision when you appeal; your statement is kept with the claim); only their hashes "
        "and de-identified measurements are kept; the photos of a claim whose analysis failed are "
        f"deleted {RETENTION_DAYS} days after the failure. The shop you bought from may be "
        "told of your claim's status and decision (not your photos or measurements). You may "
        "withdraw consent at any time: processing stops and the photos are deleted."
    ),
}
NOTICE_SHA256 = hashlib.sha256(
    json.dumps(NOTICE, ensure_ascii=False, sort_keys=True).encode("utf-8")
).hexdigest()


def notice() -> dict:
    """The current notice, as served at ``GET /api/v1/consent``."""
    return {
        "version": NOTICE_VERSION,
        "sha256": NOTICE_SHA256,
        "purpose": PURPOSE,
        "retention_days_after_decision": RETENTION_DAYS,
        "consents": {
            "facial": "processing of face photos for this claim",
            "health": "analysis of skin redness (health data) for this claim",
        },
        "text": NOTICE,
    }
