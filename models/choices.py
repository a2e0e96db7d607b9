"""Value lists of SPEC §2 with their Chinese labels.

Stored values are short English codes; every screen shows the label.
"""

ROLES = {
    "sysadmin": "系统管理员",
    # 三员分立 (等保 2.0): accounts and settings / roles, locks and 2FA / the audit log.
    "secadmin": "安全管理员",
    "auditor": "安全审计员",
    "office": "基础科",
    "department": "局科室/大队",
    "town": "镇/开发区/街道",
    "leader": "局领导",
    "expert": "专家",
}

ORG_KINDS = {
    "section": "局科室",
    "brigade": "执法大队",
    "town": "镇",
    "devzone": "开发区",
    "subdistrict": "街道",
}
# Units that submit evaluations quarterly (第二十二条); the others monthly.
TOWN_LEVEL_KINDS = ("town", "devzone", "subdistrict")

# The 12 groups of 第三条, in the order of the regulation.
EXPERT_GROUPS = [
    ("chemical", "化工"),
    ("fireworks", "烟花爆竹"),
    ("metallurgy_gas", "冶金煤气"),
    ("machinery", "机械"),
    ("electrical", "电气"),
    ("building_materials", "建材"),
    ("textile", "纺织"),
    ("light_industry", "轻工"),
    ("metal_smelting", "金属冶炼"),
    ("metal_dust", "金属粉尘"),
    ("wood_dust", "木质粉尘"),
    ("confined_space", "有限空间"),
]

GENDERS = {"male": "男", "female": "女"}

EDUCATION_LEVELS = {
    "below": "高中/中专及以下",
    "junior_college": "大专",
    "bachelor": "本科",
    "master": "硕士研究生",
    "doctor": "博士研究生",
}
EDUCATION_RANK = {"below": 0, "junior_college": 1, "bachelor": 2, "master": 3, "doctor": 4}

TITLE_LEVELS = {
    "none": "无",
    "junior": "初级",
    "intermediate": "中级",
    "associate_senior": "副高级",
    "senior": "正高级",
}
TITLE_RANK = {"none": 0, "junior": 1, "intermediate": 2, "associate_senior": 3, "senior": 4}

EXPERT_SOURCES = {"district": "区库", "upper": "上级库", "outside": "库外"}
UPPER_POOL_LEVELS = {"national": "国家级", "provincial": "省级", "city": "市级"}

# Where an expert record stands in the pool (the live dispatch status is computed).
EXPERT_STAGES = {
    "applicant": "申请中",
    "in_pool": "在库",
    "not_appointed": "未聘用",
    "dismissed": "已解聘",
}

DOCUMENT_KINDS = {
    "id_card": "身份证",
    "title_cert": "职称证书",
    "diploma": "毕业证书",
    "registration_cert": "注册证书",
    "other": "其他证明材料",
}

APPLICATION_CHANNELS = {
    "town": "镇安监科",
    "section": "局科室",
    "brigade": "大队",
    "employer": "本人所在单位",
    "self": "本人自荐",
}

APPLICATION_STATES = {
    "submitted": "已提交",
    "prelim_passed": "初审通过",
    "prelim_rejected": "初审未通过",
    "test_passed": "测试合格",
    "test_failed": "测试不合格",
    "shortlisted": "列入拟聘名单",
    "approved": "局长办公会议审定通过",
    "rejected": "局长办公会议未通过",
    "appointed": "已聘任",
    "withdrawn": "已撤回",
}

CONFLICT_RELATIONS = {
    "current_employer": "现工作单位",
    "former_employer": "原工作单位",
    "contract": "咨询/中介服务合同",
    "relative": "亲属关系",
    "other": "其他利害关系",
}
CONFLICT_SOURCES = {"expert": "专家申报", "office": "基础科核实"}

ACTIVITY_TYPES = {
    "inspection": "执法检查",
    "hazard_check": "隐患排查",
    "rectification_acceptance": "重大隐患整改验收",
    "accident_investigation": "事故调查",
    "emergency": "应急救援处置",
    "training": "教育培训授课",
    "standardization": "标准化评审",
    "other": "其他",
}
# Situations where experts may be used first and paperwork completed later (第十五条).
EMERGENCY_REASONS = {"supervision": "督查", "report_check": "举报核查", "emergency": "应急救援处置"}

REQUEST_STATES = {
    "draft": "草稿",
    "submitted": "已提交",
    "dispatched": "已选派",
    "completed": "已完成",
    "cancelled": "已取消",
}

SELECTION_METHODS = {
    "draw": "随机抽取",
    "designated": "指定",
    "upper_pool": "上级库选派",
    "outside": "库外聘请",
}

RESPONSES = {
    "pending": "待答复",
    "accepted": "已接受",
    "declined_justified": "有正当理由拒绝",
    "declined_unjustified": "无正当理由拒绝",
    "no_show": "未到场",
    "conflict": "申报回避",
    # Released because a suspension, blacklisting or dismissal took effect (SPEC §3.16).
    "withdrawn": "已解除选派",
}

RECEIPT_STATES = {"pending": "未回收", "received": "已回收"}
RECEIPT_METHODS = {"online": "在线确认", "paper": "纸质回执扫描"}

PAYERS = {"bureau": "区应急管理局", "unit": "用人单位自付"}

PAYOUT_STATES = {"draft": "草稿", "reviewed": "已审核", "paid": "已发放"}

EVAL_VARIANTS = {
    "A": "配合区、镇开展安全生产工作情况考评",
    "B": "对企业开展业务服务质量考评",
}

VIOLATION_STATES = {"draft": "待核实", "verified": "已核实", "dismissed": "不予认定"}
SANCTIONS = {
    "warning": "警告",
    "suspension": "约谈并暂停专家资格三个月",
    "blacklist": "列入黑名单三年",
}

DISMISSAL_REASONS = {
    "1": "本人提出申请不再参加专家组工作活动",
    "2": "任期届满不再连任",
    "3": "因身体、工作变动等客观原因，不再适应专家组工作",
    "4": "无正当理由，连续三次或者一年内累计五次不参加专家活动",
    "5": "不履行规定职责或工作中出现重大失误、造成严重后果",
    "6": "专家年度考核评定为不合格，经约谈仍无法达到工作要求",
    "7": "违反国家法律、法规或不遵守本管理办法规定",
}
DISMISSAL_STATES = {"proposed": "拟解聘", "approved": "已批准", "rejected": "不予解聘"}
DISMISSAL_ORIGINS = {"manual": "基础科提出", "absence": "缺席规则", "assessment": "年度考核"}

ANNOUNCEMENT_KINDS = {
    "appointment": "聘任公告",
    "dismissal": "解聘公告",
    "assessment": "年度考核结果公示",
    "blacklist": "黑名单公告",
    "other": "其他公告",
}

ASSESSMENT_GRADES = {
    "excellent": "优秀",
    "qualified": "合格",
    "basic": "基本合格",
    "unqualified": "不合格",
    "ungraded": "不定等次",
}
# 回访测评: the enterprise's satisfaction with the expert's service, 1..5.
FOLLOW_UP_SATISFACTION = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
# Outcome of the interview of an expert assessed unqualified (第十三条(六)).
INTERVIEW_OUTCOMES = {"improved": "经约谈已能达到工作要求", "still_unqualified": "经约谈仍无法达到工作要求"}

COMPLAINT_STATES = {"new": "待处理", "handling": "处理中", "closed": "已办结"}

PERMIT_STATUSES = {
    "valid": "有效",
    "suspended": "暂停",
    "blacklisted": "黑名单",
    "dismissed": "已解聘",
    "expired": "已过期",
    "revoked": "已作废",
    "invalid": "无效证件",
}

# Form definitions (SPEC §3.19): what a submission attaches to, and the kinds of field.
FORM_PURPOSES = {
    "none": "不关联（独立填报）",
    "assignment": "专家任务（选派记录）",
    "expert": "专家",
    "enterprise": "服务单位（企业）",
    "notice": "告知书",
}
FIELD_KINDS = {
    "text": "单行文字",
    "textarea": "多行文字",
    "integer": "整数",
    "score": "评分（计入合计）",
    "choice": "单选",
    "multi": "多选",
    "date": "日期",
    "time": "时间",
    "yesno": "是/否",
    "photo": "照片",
    "signature": "手写签名",
}
FORM_VERSION_STATES = {"draft": "草稿", "published": "已发布"}
