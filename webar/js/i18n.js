// Page strings: Chinese first (the first market), English beside. ?lang=en or the language
// menu switches; the choice is kept in localStorage.
const STRINGS = {
  zh: {
    tryon: "试色", claim: "提交售后申请", review: "审核", brand: "品牌校准",
    loading: "正在加载人脸模型…", ready: "已就绪", noCamera: "无法打开摄像头",
    noFace: "未检测到人脸", shade: "色号", opacity: "浓度", split: "对比",
    frameTime: "帧耗时", before: "原图", after: "试色",
    onDevice: "试色完全在您的设备上进行，画面不会上传。",
    token: "访问令牌", save: "保存", orderRef: "订单号", sku: "商品", claimType: "申请类型",
    typeShade: "颜色与展示不符", typeRedness: "使用后皮肤发红", batch: "批号",
    checks: "拍摄检查", capture: "拍摄", retake: "重拍", baseline: "使用前照片（可选）",
    baselineWhy: "附上使用前的照片，轻得多的发红也能被发现：单张照片只能显示约 a* +3.5（深肤色）至 +6（浅肤色）以上的发红，前后对比约 +1 至 +2 即可（两张照片的表情、光线和距离需一致）。",
    faceSize: "请靠近一些，让脸部占满画面", centred: "请把脸放在画面中央",
    pose: "请正对镜头", sharp: "请保持不动", exposure: "光线不足或过亮，请调整",
    grain: "画面噪点太多，请到更亮的地方拍摄",
    expression: "请保持与之前照片相同的表情（微笑、张嘴会改变脸颊的颜色）",
    baselineNoFace: "之前的照片中未找到人脸",
    baselineNoColour: "之前的照片没有颜色（黑白、怀旧色调、去色滤镜或单色光）：无法对比发红，分析不会使用它。请附上相机拍摄的原图",
    baselineMirrored: "之前的照片是镜像保存的（前置摄像头常这样保存）：检查按翻转回来的照片进行，分析也会这样对比",
    baselineSmall: "之前照片中的人脸只有 {px} 像素宽，对比结果不可靠：请上传原图（不是缩略图或截图），或距离更近的照片",
    baselineUnreadable: "此浏览器无法读取之前的照片，无法实时比对表情、光线和朝向；提交后仍会在服务器上比对",
    baselineEdited: "之前的照片注明由 {software}（照片编辑软件）保存：颜色和皮肤可能已被修改。请附上相机保存的原图",
    light: "请在与之前照片相同的光线下拍摄（同一地点、同样的灯光或日光，光从同一侧照来）",
    facing: "请像之前的照片一样面对镜头（不要更侧或更仰、更低头）",
    captureAnyway: "仍然拍摄（分析会注明与之前照片的差异）",
    takenAnyway: "已拍摄：与之前照片不一致，分析会注明差异",
    chart: "请把色卡放在商品旁边并完整入镜", allGood: "全部通过，自动拍摄",
    preview: "设备端发红预览", previewUnavailable: "设备端发红预览不可用（模型未能加载）",
    consentTitle: "同意书", consentFacial: "我同意处理我的面部照片用于本次申请",
    consentHealth: "我同意分析皮肤发红情况（健康信息）", submit: "提交",
    uploading: "正在上传", retry: "重试", status: "申请状态", queue: "待审队列",
    filterStatus: "状态", filterType: "类型", all: "全部", opacityHeatmap: "热力图透明度",
    verdict: "色差结论", measured: "实测颜色", reference: "品牌参考色", residuals: "色卡残差",
    findings: "拍摄问题", ingredients: "成分提示", suggestion: "处理建议",
    reveal: "查看原图", reason: "理由", decide: "裁决", outcome: "结果", reasonCode: "原因代码",
    note: "备注", decided: "已裁决", notDiagnosis: "发红图仅供审核参考，不是医学诊断。",
    catalog: "商品目录", calibratePhoto: "用色卡照片校准", calibrateLab: "输入分光测色值",
    roi: "色块区域 X,Y,W,H", preview2: "预览", saveVersion: "保存为新版本", stats: "统计与预警",
    keys: "快捷键：J/K 上下条，A 通过，R 驳回，V 查看原图",
    detectionLimit: "本照片可检出的最弱发红", faceWidths: "脸宽",
    rednessUnmeasurable: "无法测量发红：照片没有颜色（黑白、怀旧色调、去色滤镜或单色光）",
    comparedSkin: "与之前照片比对的皮肤比例（其余在某张照片中不是皮肤，或在之前照片中角度过斜）",
    zone: "区域", flaggedArea: "标记面积", meanExcess: "平均超出（σ）", peakExcess: "峰值超出（σ）",
    inShade: "位于褶皱或阴影中",
    inShadeNote: "标记面积中位于褶皱或阴影处的比例（真实照片中天然发红多在此处，测试中的过敏斑块很少）",
    photoBefore: "使用前照片", photoNow: "当前照片", notStated: "文件未注明", savedBy: "保存软件",
    originNote: "相机与拍摄时间为文件自述，可被修改",
    faceMatch: "两张照片的面部相似度（自动比对；低于阈值的使用前照片不会被使用）",
    faceSizeOk: "脸部大小合适", centredOk: "脸部位于画面中央", poseOk: "正对镜头", sharpOk: "画面清晰",
    exposureOk: "光线合适", grainOk: "光线充足，画面无噪点", chartOk: "色卡完整入镜",
    expressionOk: "表情与之前的照片一致", lightOk: "光线与之前的照片一致", facingOk: "朝向与之前的照片一致",
    statClaims: "申请数", statShade: "颜色申请", statMismatch: "色差不符比例", statRedness: "发红申请",
    statIncrease: "发红加重比例（有使用前照片）", allBatches: "全部批次", noBatch: "未注明",
    statSuppressed: "少于 {n} 件的单元格不显示数字，以免识别出个人", noAlerts: "暂无预警",
    aboveBaseline: "高于品牌整体水平：{what}",
  },
  en: {
    tryon: "Try on", claim: "File a claim", review: "Review", brand: "Brand calibration",
    loading: "Loading the face model…", ready: "Ready", noCamera: "The camera could not be opened",
    noFace: "No face found", shade: "Shade", opacity: "Opacity", split: "Compare",
    frameTime: "Frame time", before: "Before", after: "Try-on",
    onDevice: "The try-on runs entirely on your device; nothing is uploaded.",
    token: "Access token", save: "Save", orderRef: "Order number", sku: "Product",
    claimType: "Claim type", typeShade: "Colour not as shown", typeRedness: "Skin turned red",
    batch: "Batch", checks: "Capture checks", capture: "Capture", retake: "Retake",
    baseline: "Photo from before (optional)",
    baselineWhy: "With a photo from before, much milder redness can be shown: one photo shows redness from about a* +3.5 (dark skin) to +6 (light skin) up, a before/after pair from about +1 to +2 (with the same expression, light and distance in both).",
    faceSize: "Move closer: your face should fill more of the frame",
    centred: "Centre your face in the frame", pose: "Look straight at the camera",
    sharp: "Hold still", exposure: "Too dark or too bright: adjust the light",
    grain: "The picture is grainy: move to brighter light",
    expression: "Make the expression of the earlier photo (a smile or an open mouth changes the cheeks' colour)",
    baselineNoFace: "No face was found in the earlier photo",
    baselineNoColour: "The earlier photo has no colour (black and white, sepia, a filter that takes colour out, or a light of one colour): redness cannot be compared with it, and the analysis will not use it. Attach the photo as the camera took it",
    baselineMirrored: "The earlier photo is saved mirrored (as front cameras often save selfies): the checks follow it flipped back, as the analysis compares it",
    baselineSmall: "The face in the earlier photo is only {px} px wide, too small for a reliable comparison: attach the original photo (not a thumbnail or a screenshot), or one taken closer",
    baselineUnreadable: "This browser cannot read the earlier photo, so its expression, light and facing are not checked live; it is still compared after you submit",
    baselineEdited: "The earlier photo says it was saved by {software}, a photo editor: its colours and skin may have been changed. Attach the photo as the camera saved it",
    light: "Take it in the light of the earlier photo (the same place, the same lamp or daylight, falling from the same side)",
    facing: "Face the camera as in the earlier photo (not turned further sideways, up or down)",
    captureAnyway: "Take it anyway (the analysis will say what differs from the earlier photo)",
    takenAnyway: "Taken: it does not match the earlier photo, the analysis will say what differs",
    chart: "Hold the colour chart next to the product, fully visible",
    allGood: "All checks pass: capturing", preview: "On-device redness preview",
    previewUnavailable: "The on-device redness preview is not available (the model did not load)",
    consentTitle: "Consent", consentFacial: "I agree to the processing of my face photo for this claim",
    consentHealth: "I agree to the analysis of skin redness (health data)", submit: "Submit",
    uploading: "Uploading", retry: "Retry", status: "Claim status", queue: "Queue",
    filterStatus: "Status", filterType: "Type", all: "All", opacityHeatmap: "Heatmap opacity",
    verdict: "Shade verdict", measured: "Measured", reference: "Brand reference",
    residuals: "Chart residuals", findings: "Capture findings", ingredients: "Ingredients",
    suggestion: "Suggestion", reveal: "Reveal raw photo", reason: "Reason", decide: "Decide",
    outcome: "Outcome", reasonCode: "Reason code", note: "Note", decided: "Decided",
    notDiagnosis: "Redness maps are evidence for review, not a diagnosis.",
    catalog: "Catalog", calibratePhoto: "Calibrate from a chart photo",
    calibrateLab: "Enter spectrophotometer values", roi: "Swatch region X,Y,W,H",
    preview2: "Preview", saveVersion: "Save as a new version", stats: "Statistics and alerts",
    keys: "Keys: J/K next/previous, A approve, R reject, V reveal",
    detectionLimit: "Weakest redness this photo can show", faceWidths: "face widths",
    rednessUnmeasurable: "Redness not measurable: the photo has no colour (black and white, sepia, a filter that takes colour out, or a light of one colour)",
    comparedSkin: "Skin compared with the earlier photo (the rest is not skin in one of them, or seen at too steep an angle in the earlier one)",
    zone: "Zone", flaggedArea: "Flagged area", meanExcess: "Mean excess (σ)",
    peakExcess: "Peak excess (σ)", inShade: "In folds or shadows",
    inShadeNote: "Share of the flagged area in folds or shadows (where real photos show natural redness; the test's reactions seldom lie there)",
    photoBefore: "Photo from before", photoNow: "New photo", notStated: "not stated", savedBy: "saved by",
    originNote: "camera and time as the files state them; files can be edited",
    faceMatch: "the two faces match (compared automatically; a photo from before under the matcher's threshold is not used)",
    faceSizeOk: "Face fills the frame", centredOk: "Face centred", poseOk: "Facing the camera",
    sharpOk: "Sharp", exposureOk: "Light level right", grainOk: "Enough light: no grain",
    chartOk: "Colour chart in view", expressionOk: "Expression as in the earlier photo",
    lightOk: "Light as in the earlier photo", facingOk: "Facing as in the earlier photo",
    statClaims: "Claims", statShade: "Shade claims", statMismatch: "Mismatch share",
    statRedness: "Redness claims", statIncrease: "Redness increased (with a photo from before)",
    allBatches: "all batches", noBatch: "not stated",
    statSuppressed: "Cells of fewer than {n} claims show no figures, so that no one can be singled out",
    noAlerts: "No alerts", aboveBaseline: "above the brand's overall level: {what}",
  },
};

export function language() {
  const q = new URLSearchParams(location.search).get("lang");
  if (q && STRINGS[q]) localStorage.setItem("hueproof.lang", q);
  return localStorage.getItem("hueproof.lang") || "zh";
}

export function t(key) {
  return (STRINGS[language()] || STRINGS.zh)[key] ?? STRINGS.en[key] ?? key;
}

/** Fill every element carrying data-i18n="key" and set <html lang>. */
export function translate(root = document) {
  document.documentElement.lang = language() === "zh" ? "zh-CN" : "en";
  root.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll("[data-i18n-placeholder]").forEach((el) => {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  });
}

export const LANGUAGES = Object.keys(STRINGS);
export { STRINGS };
