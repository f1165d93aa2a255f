"""The evidence domain's user-facing texts, Chinese first."""

from app.core.i18n import register_messages

register_messages(
    {
        "evidence.empty": {"zh": "没有收到照片文件", "en": "No photo file was received"},
        "evidence.not_an_image": {
            "zh": "这不是可以读取的照片：只接受 {accepted}（按文件内容判断，与文件名无关）",
            "en": "This is not a readable photo: only {accepted} are accepted (judged by the content, not the file name)",
        },
        "evidence.too_large": {
            "zh": "照片文件超过上限 {limit}，请压缩后再传",
            "en": "The photo file is over the {limit} limit; please send a smaller one",
        },
        "evidence.too_many_pixels": {
            "zh": "照片有 {megapixels} 百万像素，超过上限 {limit} 百万像素",
            "en": "The photo has {megapixels} megapixels, over the {limit}-megapixel limit",
        },
        "evidence.duplicate_here": {
            "zh": "这张照片已经上传过了（{photo}）",
            "en": "This photo is already attached ({photo})",
        },
        "evidence.duplicate_elsewhere": {
            "zh": "同一张照片已用于 {other}，不能重复作为证据",
            "en": "The same photo is already evidence for {other}; it cannot be used twice",
        },
        "evidence.photo_not_found": {"zh": "找不到这张照片", "en": "No such photo"},
        "evidence.flag.near_duplicate": {
            "zh": "与 {other} 的照片 {photo} 几乎相同（感知哈希相差 {bits} 位），请核实",
            "en": "Nearly the same as photo {photo} of {other} (perceptual hash {bits} bits apart); please check",
        },
        "evidence.flag.far_from_subject": {
            "zh": "拍摄位置距地点 {distance_m} 米，请核实",
            "en": "Taken {distance_m} m away from the place; please check",
        },
    }
)
