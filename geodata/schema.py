"""The Red Map data model: every layer, field, allowed value and label, defined once.

Validation, popups, filters, exports and the public API allowlists all read this
module; nothing else in the code base names a field's type or label. A district's
GIS staff prepare a GeoPackage whose layers match these definitions
(`python -m geodata docs` prints them as a field reference).

Glossary (the Chinese terms that name layers and values):

===========  ==========================================================
心心秦家      the district's party–mass service centre brand ("Qin home")
党群服务中心  party–mass service centre
7+N 服务      seven basic services every centre offers, plus N local ones
街道          sub-district (street office), 12 in Qindu
社区 / 行政村 urban community / administrative village
网格          grid, the smallest governance cell; each has a 网格党支部
网格党支部    grid party branch
楼栋党小组    building party group
三无小区      "three-no" compound: no property company, no owners'
              committee, no maintenance
七步法        seven-step property incubation 征、提、审、推、签、评、聘
日间照料中心  community day-care centre for the elderly (with meal delivery)
留守儿童      left-behind children (parents working away)
党员法律服务队 party-member legal service team
三级三轮调解  three-level (district/street/community), three-round mediation
党建联盟      party-building alliance (industry, business district, new sector)
智慧网格      smart grid: found → photo → assigned → fixed → replied
云医院        tele-medicine platform installed in a community
12345         the district's convenience call centre (hotline)
===========  ==========================================================
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

STORAGE_CRS = "EPSG:4326"
"""CRS every layer is stored in."""

MEASURE_CRS = "EPSG:4545"
"""CGCS2000 / 3-degree Gauss-Kruger CM 108E: the metric CRS for distances and areas
at Qindu's 108.7°E (EPSG:4546 is the neighbouring, wrong zone)."""

SCHEMATIC_NOTE_ZH = "示意，非法定界线"
SCHEMATIC_NOTE_EN = "Schematic, not a legal boundary"

FieldType = Literal["str", "int", "float", "bool", "date", "datetime", "codes"]
"""``codes`` is a list of allowed values stored as one text field joined by ``;``."""

GeometryKind = Literal["Point", "LineString", "Polygon"]

CODES_SEPARATOR = ";"


@dataclass(frozen=True)
class Choice:
    """One allowed value of a field, with its labels."""

    value: str
    zh: str
    en: str


@dataclass(frozen=True)
class Field:
    """One column of a layer.

    Parameters
    ----------
    name : str
        Column name in the GeoPackage.
    type : FieldType
        Storage type; ``codes`` is a ``;``-joined list of ``choices`` values.
    zh, en : str
        Labels shown to users and used as column headers in exports.
    required : bool
        When True, an empty value is a validation error.
    choices : tuple of Choice, optional
        The allowed values (for ``str`` and ``codes`` fields).
    minimum, maximum : float, optional
        Inclusive numeric bounds.
    personal : bool
        Personal data about a resident (PIPL): never public, masked or
        aggregated for roles that do not need it.
    public : bool
        May be shown by the public finder and its API. Personal fields are never
        public (enforced at import time).
    references : str, optional
        ``"layer.field"`` this field points to; the validator checks the target
        exists.
    description : str
        What the field means, for the data reference.
    """

    name: str
    type: FieldType
    zh: str
    en: str
    required: bool = True
    choices: tuple[Choice, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    personal: bool = False
    public: bool = False
    references: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if self.personal and self.public:
            raise ValueError(f"field {self.name!r} cannot be both personal and public")
        if self.type == "codes" and not self.choices:
            raise ValueError(f"codes field {self.name!r} needs choices")

    @property
    def allowed_values(self) -> frozenset[str]:
        return frozenset(c.value for c in self.choices)

    def label(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en

    def choice_label(self, value: str, lang: str = "zh") -> str:
        """Label of one allowed value; the value itself when it is not a choice."""
        for c in self.choices:
            if c.value == value:
                return c.zh if lang == "zh" else c.en
        return value


@dataclass(frozen=True)
class Layer:
    """One layer (or record table) of the GeoPackage.

    Parameters
    ----------
    name : str
        Table name in the GeoPackage.
    zh, en : str
        Labels.
    geometry : tuple of GeometryKind, or None
        Allowed simple geometry kinds (their Multi- forms are accepted too); None
        for a table without geometry.
    fields : tuple of Field
        Columns other than the geometry. The first field is the feature id.
    public : bool
        Whether the public face may show this layer at all (only its public
        fields).
    description : str
        What the layer holds.
    within_district : bool
        Whether every feature must lie inside the district outline.
    """

    name: str
    zh: str
    en: str
    geometry: tuple[GeometryKind, ...] | None
    fields: tuple[Field, ...]
    public: bool = False
    description: str = ""
    within_district: bool = True
    _by_name: Mapping[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"layer {self.name!r} repeats a field name")
        object.__setattr__(self, "_by_name", MappingProxyType({f.name: f for f in self.fields}))

    @property
    def id_field(self) -> Field:
        return self.fields[0]

    @property
    def has_geometry(self) -> bool:
        return self.geometry is not None

    @property
    def personal_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.personal)

    @property
    def public_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.public) if self.public else ()

    @property
    def has_personal_data(self) -> bool:
        return any(f.personal for f in self.fields)

    def field(self, name: str) -> Field:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def label(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


def _choices(*triples: tuple[str, str, str]) -> tuple[Choice, ...]:
    return tuple(Choice(*t) for t in triples)


# --- shared value lists ----------------------------------------------------------

SERVICE_MENU: tuple[Choice, ...] = _choices(
    # The seven basic services every 心心秦家 centre offers ("7").
    ("phone_charging", "手机充电", "Phone charging"),
    ("parcel_locker", "快递存取", "Parcel pick-up"),
    ("emergency_umbrella", "应急雨伞", "Emergency umbrellas"),
    ("drinking_water", "饮水服务", "Drinking water"),
    ("rest_area", "歇脚休息", "Rest area"),
    ("first_aid_kit", "应急药箱", "First-aid kit"),
    ("reading_corner", "图书阅览", "Reading corner"),
    # Local additions ("+N"); each centre offers some of them.
    ("business_licence", "个体执照代办", "Business licence help"),
    ("gov_self_service", "政务自助", "Government self-service"),
    ("legal_advice", "法律咨询", "Legal advice"),
    ("mediation", "矛盾调解", "Dispute mediation"),
    ("tele_medicine", "云医院问诊", "Tele-medicine"),
    ("elderly_meals", "老年助餐", "Meals for the elderly"),
    ("childcare", "托育服务", "Childcare"),
    ("volunteer", "志愿服务", "Volunteer service"),
    ("employment", "就业指导", "Job advice"),
)
BASIC_SERVICES: frozenset[str] = frozenset(c.value for c in SERVICE_MENU[:7])
"""The "7" of "7+N"."""

INCUBATION_STEPS: tuple[Choice, ...] = _choices(
    ("征", "征", "Solicit"),
    ("提", "提", "Propose"),
    ("审", "审", "Review"),
    ("推", "推", "Recommend"),
    ("签", "签", "Sign"),
    ("评", "评", "Evaluate"),
    ("聘", "聘", "Engage"),
)
"""The seven-step property incubation (七步法), in order."""

MANAGED_BY = _choices(
    ("qindu", "秦都区", "Qindu District"),
    ("xixian", "西咸新区", "Xixian New Area"),
)

EVENT_STATUSES: tuple[Choice, ...] = _choices(
    ("found", "发现", "Found"),
    ("photo", "已拍照上传", "Photo uploaded"),
    ("assigned", "已派单", "Assigned"),
    ("fixed", "已整改", "Fixed"),
    ("replied", "已回复", "Replied"),
)
"""Smart-grid closed loop, in order; ``replied`` closes the loop."""

EVENT_CATEGORIES = _choices(
    ("sanitation", "环境卫生", "Sanitation"),
    ("parking", "小区停车", "Parking"),
    ("facility", "设施损坏", "Broken facility"),
    ("safety", "安全隐患", "Safety hazard"),
    ("noise", "噪音扰民", "Noise"),
    ("illegal_building", "违章搭建", "Illegal building"),
    ("housing_jobs", "住房就业", "Housing and jobs"),
    ("neighbourhood", "邻里纠纷", "Neighbour dispute"),
)

MEDIATION_LEVELS = _choices(
    ("district", "区级", "District"),
    ("street", "街道级", "Street"),
    ("community", "社区级", "Community"),
)

MEDIATION_OUTCOMES = _choices(
    ("success", "调解成功", "Settled"),
    ("failed", "调解未成功", "Not settled"),
    ("ongoing", "调解中", "Ongoing"),
)

DISPUTE_TYPES = _choices(
    ("neighbour", "邻里纠纷", "Neighbours"),
    ("family", "婚姻家庭", "Marriage and family"),
    ("property_mgmt", "物业纠纷", "Property management"),
    ("labour", "劳动争议", "Labour"),
    ("contract", "合同纠纷", "Contract"),
    ("land", "土地拆迁", "Land and relocation"),
    ("consumer", "消费纠纷", "Consumer"),
)

_ID = "id"


def _id(zh: str = "编号", en: str = "ID", public: bool = False) -> Field:
    return Field(_ID, "str", zh, en, public=public, description="Unique feature id.")


def _demo() -> Field:
    return Field(
        "is_demo", "bool", "演示数据", "Demo data",
        description="True for synthetic demo features; real data sets it False.",
    )


def _street_ref(public: bool = False, required: bool = True) -> Field:
    return Field(
        "street_id", "str", "所属街道", "Street", public=public, required=required,
        references="streets.id",
    )


def _community_ref(public: bool = False, required: bool = True) -> Field:
    return Field(
        "community_id", "str", "所属社区", "Community", public=public, required=required,
        references="communities.id",
    )


def _name(zh: str = "名称", en: str = "Name", public: bool = True) -> Field:
    return Field("name", "str", zh, en, public=public)


def _address(public: bool = True) -> Field:
    return Field("address", "str", "地址", "Address", public=public)


def _hours(public: bool = True) -> Field:
    return Field(
        "opening_hours", "str", "开放时间", "Opening hours", public=public,
        description="OpenStreetMap syntax, Asia/Shanghai time, e.g. 'Mo-Su 08:00-20:00'.",
    )


def _unit_phone(public: bool = True) -> Field:
    # A unit's own switchboard is public information; residents' phones are personal.
    return Field("phone", "str", "联系电话", "Phone", public=public, required=False)


LAYERS: tuple[Layer, ...] = (
    Layer(
        "district", "秦都区", "Qindu District", ("Polygon",),
        (
            Field(_ID, "str", "行政区划代码", "Adcode", public=True),
            _name(),
            Field("population", "int", "常住人口", "Residents", minimum=0, public=True),
            Field(
                "online_handling_rate", "float", "网办率", "Online handling rate",
                minimum=0, maximum=1, public=True,
                description="Share of government services handled online (0–1).",
            ),
            Field(
                "time_limit_ratio", "float", "业务时限压缩至", "Time limit compressed to",
                minimum=0, maximum=1, public=True,
                description="Online service time limit as a share of the statutory one (0–1).",
            ),
            Field("source", "str", "边界来源", "Outline source", public=True),
            _demo(),
        ),
        public=True, within_district=False,
        description="District outline (schematic, not a legal boundary) and district-wide indicators.",
    ),
    Layer(
        "streets", "街道", "Streets", ("Polygon",),
        (
            Field(_ID, "str", "统计代码", "Statistics code", public=True),
            _name(),
            Field("name_en", "str", "英文名", "English name", public=True),
            Field("managed_by", "str", "管理主体", "Managed by", choices=MANAGED_BY, public=True),
            Field("office_lon", "float", "办事处经度", "Office longitude", public=True),
            Field("office_lat", "float", "办事处纬度", "Office latitude", public=True),
            Field("households", "int", "户数", "Households", minimum=0),
            Field("population", "int", "人口", "Residents", minimum=0),
            _demo(),
        ),
        public=True,
        description="Sub-districts (街道); polygons tile the district.",
    ),
    Layer(
        "communities", "社区", "Communities", ("Polygon",),
        (
            _id(public=True),
            _name(),
            _street_ref(public=True),
            Field(
                "kind", "str", "类型", "Kind", public=True,
                choices=_choices(
                    ("urban", "城市社区", "Urban community"),
                    ("village", "行政村", "Administrative village"),
                ),
            ),
            Field("households", "int", "户数", "Households", minimum=0),
            Field("population", "int", "人口", "Residents", minimum=0),
            Field("tele_medicine", "bool", "云医院", "Tele-medicine", public=True),
            Field(
                "party_members", "int", "参与区域化党建党员", "Party members in regional party building",
                minimum=0,
            ),
            Field("cadres_reappointed", "int", "调整配强两委干部", "Cadres re-appointed", minimum=0),
            _demo(),
        ),
        public=True,
        description="Communities and villages; polygons tile their street.",
    ),
    Layer(
        "grids", "网格", "Grids", ("Polygon",),
        (
            _id(),
            _name(),
            _community_ref(),
            _street_ref(),
            Field("households", "int", "户数", "Households", minimum=0),
            Field("branch_name", "str", "网格党支部", "Grid party branch"),
            Field("branch_members", "int", "支部党员数", "Branch members", minimum=0),
            _demo(),
        ),
        description="Governance grids, each with its grid party branch; polygons tile their community.",
    ),
    Layer(
        "building_groups", "楼栋党小组", "Building party groups", ("Point",),
        (
            _id(),
            _name(),
            Field("grid_id", "str", "所属网格", "Grid", references="grids.id"),
            _community_ref(),
            _street_ref(),
            Field("building", "str", "楼栋", "Building"),
            Field("members", "int", "党员数", "Members", minimum=0),
            _demo(),
        ),
        description="Building party groups at their buildings.",
    ),
    Layer(
        "service_centers", "心心秦家党群服务中心", "Service centres", ("Point",),
        (
            _id(public=True),
            _name(),
            _address(),
            _street_ref(public=True),
            _community_ref(public=True),
            Field(
                "site_type", "str", "选址", "Site", public=True,
                choices=_choices(
                    ("park", "公园", "Park"),
                    ("square", "广场", "Square"),
                    ("crossroads", "十字街头", "Crossroads"),
                    ("community", "社区阵地", "Community site"),
                ),
            ),
            Field(
                "services", "codes", "服务项目", "Services", choices=SERVICE_MENU, public=True,
                description="The 7+N services offered, ';'-joined codes.",
            ),
            _hours(),
            _unit_phone(),
            Field("opened", "date", "建成日期", "Opened", public=True),
            _demo(),
        ),
        public=True,
        description="心心秦家 party–mass service centres at parks, squares and crossroads.",
    ),
    Layer(
        "three_no_compounds", "三无小区", "Three-no compounds", ("Point", "Polygon"),
        (
            _id(),
            _name(),
            _community_ref(),
            _street_ref(),
            Field("households", "int", "户数", "Households", minimum=0),
            Field(
                "stage", "str", "孵化步骤", "Incubation step", choices=INCUBATION_STEPS,
                description="The furthest of the seven steps reached.",
            ),
            *(
                Field(
                    f"date_{i}", "date", f"{c.zh}日期", f"{c.en} date", required=False,
                    description=f"Date step {i} ({c.zh}) was reached; empty if not yet.",
                )
                for i, c in enumerate(INCUBATION_STEPS, start=1)
            ),
            Field("property_company", "str", "物业服务企业", "Property company", required=False),
            _demo(),
        ),
        description="三无小区 going through the seven-step property incubation.",
    ),
    Layer(
        "daycare_centers", "社区日间照料中心", "Day-care centres", ("Point",),
        (
            _id(public=True),
            _name(),
            _address(),
            _street_ref(public=True),
            _community_ref(public=True),
            Field(
                "meal_delivery_m", "int", "送餐范围(米)", "Meal delivery range (m)",
                minimum=0, maximum=10000, public=True,
            ),
            Field("capacity", "int", "床位/座位", "Places", minimum=0, public=True),
            _hours(),
            _unit_phone(),
            _demo(),
        ),
        public=True,
        description="Community day-care centres for the elderly, with meal delivery.",
    ),
    Layer(
        "child_care", "留守儿童关爱与托育", "Child care", ("Point",),
        (
            _id(public=True),
            _name(),
            Field(
                "kind", "str", "类型", "Kind", public=True,
                choices=_choices(
                    ("care_center", "留守儿童关爱中心", "Left-behind children care centre"),
                    ("childcare_class", "低偿托育班", "Low-cost childcare class"),
                ),
            ),
            _address(),
            _street_ref(public=True),
            _community_ref(public=True),
            Field("capacity", "int", "名额", "Places", minimum=0, public=True),
            _hours(),
            _unit_phone(),
            _demo(),
        ),
        public=True,
        description="The left-behind children care centre and low-cost childcare classes.",
    ),
    Layer(
        "legal_teams", "党员法律服务队", "Legal service teams", ("Polygon",),
        (
            _id(public=True),
            _name(),
            Field("members", "int", "队员数", "Members", minimum=0, public=True),
            Field(
                "street_ids", "str", "服务街道", "Streets served", public=True,
                description="';'-joined street ids of the area served.",
            ),
            _unit_phone(),
            _demo(),
        ),
        public=True,
        description="Party-member legal service teams; geometry is the area each serves.",
    ),
    Layer(
        "social_orgs", "孵化社会组织", "Social organisations", ("Point",),
        (
            _id(public=True),
            _name(),
            Field("brand", "str", "服务品牌", "Brand", required=False, public=True),
            Field(
                "host_center_id", "str", "入驻中心", "Host centre", public=True,
                references="service_centers.id",
            ),
            Field(
                "field", "str", "服务领域", "Field", public=True,
                choices=_choices(
                    ("social_work", "社会工作", "Social work"),
                    ("elderly", "养老助老", "Elderly care"),
                    ("youth", "青少年", "Youth"),
                    ("culture", "文体活动", "Culture and sport"),
                    ("skills", "技能培训", "Skills"),
                    ("catering", "社区餐饮", "Community catering"),
                ),
            ),
            Field("founded", "date", "孵化日期", "Incubated", public=True),
            _demo(),
        ),
        public=True,
        description="Social organisations incubated at the centres that host them.",
    ),
    Layer(
        "alliances", "党建联盟", "Party alliances", ("Point",),
        (
            _id(),
            _name(),
            Field(
                "kind", "str", "类型", "Kind",
                choices=_choices(
                    ("industry", "产业联盟", "Industry"),
                    ("business_district", "商圈联盟", "Business district"),
                    ("new_sector", "新兴领域", "New sector"),
                    ("interest", "兴趣社团", "Interest club"),
                ),
            ),
            Field("sector", "str", "领域", "Sector"),
            Field("member_units", "int", "成员单位", "Member units", minimum=0),
            Field("party_members", "int", "党员数", "Party members", minimum=0),
            _street_ref(),
            _demo(),
        ),
        description="Party-building alliances, at their lead unit.",
    ),
    Layer(
        "facilities", "区级平台", "District facilities", ("Point",),
        (
            _id(public=True),
            _name(),
            Field(
                "kind", "str", "类型", "Kind", public=True,
                choices=_choices(
                    ("call_center_12345", "12345便民呼叫中心", "12345 call centre"),
                    ("governance_center", "社会治理服务中心", "Social-governance centre"),
                ),
            ),
            _address(),
            _street_ref(public=True),
            _hours(),
            _unit_phone(),
            _demo(),
        ),
        public=True,
        description="District-level platforms: the 12345 call centre, the smart-grid governance centre.",
    ),
    Layer(
        "roads", "道路", "Roads", ("LineString",),
        (
            _id(),
            Field("name", "str", "路名", "Name", required=False, public=True),
            Field(
                "road_class", "str", "等级", "Class", public=True,
                choices=_choices(
                    ("arterial", "主干道", "Arterial"),
                    ("secondary", "次干道", "Secondary"),
                    ("local", "支路", "Local"),
                    ("path", "步道", "Path"),
                    ("bridge", "桥梁", "Bridge"),
                ),
            ),
            Field("walkable", "bool", "可步行", "Walkable"),
            _demo(),
        ),
        public=True,
        description="Walking network: named lines, split at junctions.",
    ),
    Layer(
        "water", "水系", "Water", ("Polygon",),
        (_id(), _name(), _demo()),
        public=True, within_district=False,
        description="Rivers and lakes for the basemap (the Wei River).",
    ),
    Layer(
        "service_records", "服务台账", "Service records", None,
        (
            _id(),
            Field("center_id", "str", "服务中心", "Centre", references="service_centers.id"),
            Field("month", "date", "月份", "Month", description="First day of the month."),
            Field("people_served", "int", "服务人次", "People served", minimum=0),
            Field("business_licences", "int", "个体工商执照", "Business licences", minimum=0),
            Field("catering_permits", "int", "小餐饮许可证", "Catering permits", minimum=0),
            Field("workshop_permits", "int", "小作坊许可证", "Workshop permits", minimum=0),
            Field("problems_solved", "int", "解决急难愁盼", "Urgent problems solved", minimum=0),
            _demo(),
        ),
        description="Monthly counts per service centre.",
    ),
    Layer(
        "meal_deliveries", "助餐台账", "Meal deliveries", None,
        (
            _id(),
            Field("daycare_id", "str", "日间照料中心", "Day-care centre", references="daycare_centers.id"),
            Field("month", "date", "月份", "Month"),
            Field("meals", "int", "送餐份数", "Meals delivered", minimum=0),
            Field("elderly_served", "int", "服务老人", "Elderly served", minimum=0),
            _demo(),
        ),
        description="Monthly meals delivered per day-care centre.",
    ),
    Layer(
        "mediation_cases", "矛盾纠纷调解", "Mediation cases", None,
        (
            _id(),
            Field("level", "str", "调解层级", "Level", choices=MEDIATION_LEVELS),
            Field("round", "int", "调解轮次", "Round", minimum=1, maximum=3),
            Field("outcome", "str", "结果", "Outcome", choices=MEDIATION_OUTCOMES),
            Field("case_type", "str", "纠纷类型", "Type", choices=DISPUTE_TYPES),
            Field("received", "date", "受理日期", "Received"),
            Field("closed", "date", "办结日期", "Closed", required=False),
            _street_ref(),
            _community_ref(),
            Field("team_id", "str", "法律服务队", "Legal team", required=False, references="legal_teams.id"),
            Field("disputants", "str", "当事人", "Disputants", personal=True),
            Field("disputant_phone", "str", "当事人电话", "Disputant phone", personal=True, required=False),
            _demo(),
        ),
        description="Disputes through three-level, three-round mediation; disputants are personal data.",
    ),
    Layer(
        "grid_events", "智慧网格事件", "Smart-grid incidents", ("Point",),
        (
            _id(),
            Field("grid_id", "str", "所属网格", "Grid", references="grids.id"),
            _community_ref(),
            _street_ref(),
            Field("category", "str", "类别", "Category", choices=EVENT_CATEGORIES),
            Field("status", "str", "状态", "Status", choices=EVENT_STATUSES),
            Field("found_at", "datetime", "发现时间", "Found"),
            Field("photo_at", "datetime", "上传时间", "Photo uploaded", required=False),
            Field("assigned_at", "datetime", "派单时间", "Assigned", required=False),
            Field("fixed_at", "datetime", "整改时间", "Fixed", required=False),
            Field("replied_at", "datetime", "回复时间", "Replied", required=False),
            Field("description", "str", "描述", "Description", required=False),
            Field("reporter_phone", "str", "报告人电话", "Reporter phone", personal=True, required=False),
            _demo(),
        ),
        description="Smart-grid incidents through the closed loop; the reporter's phone is personal data.",
    ),
    Layer(
        "home_services", "上门服务对象", "Home-service recipients", ("Point",),
        (
            _id(),
            Field("person_name", "str", "姓名", "Name", personal=True),
            Field("phone", "str", "电话", "Phone", personal=True, required=False),
            Field(
                "category", "str", "对象类别", "Category",
                choices=_choices(
                    ("aged", "高龄老人", "Very old"),
                    ("destitute", "特困人员", "Destitute"),
                    ("disabled", "重度残疾", "Severely disabled"),
                    ("left_behind_elderly", "留守老人", "Left-behind elderly"),
                    ("left_behind_child", "留守儿童", "Left-behind child"),
                ),
            ),
            Field(
                "service", "str", "服务内容", "Service",
                choices=_choices(
                    ("housekeeping", "家政保洁", "Housekeeping"),
                    ("massage", "按摩保健", "Massage"),
                    ("meal", "上门配餐", "Meal delivery"),
                    ("tracking", "动态跟踪", "Follow-up visits"),
                ),
            ),
            _community_ref(),
            _street_ref(),
            Field("visits", "int", "服务次数", "Visits", minimum=0),
            Field("last_visit", "date", "最近服务", "Last visit", required=False),
            _demo(),
        ),
        description="People served at home (elderly, disabled, left-behind). Personal: never public.",
    ),
)

SCHEMA: Mapping[str, Layer] = MappingProxyType({layer.name: layer for layer in LAYERS})
"""Every layer by name, in display order."""

META_TABLE = "redmap_meta"
"""Key/value table with provenance (generator, seed, sources, redacted figures chosen)."""


def layer(name: str) -> Layer:
    """Return the schema of layer ``name``; KeyError names the known layers."""
    try:
        return SCHEMA[name]
    except KeyError:
        raise KeyError(f"unknown layer {name!r}; known: {', '.join(SCHEMA)}") from None


def iter_fields() -> Iterator[tuple[Layer, Field]]:
    for lyr in LAYERS:
        for f in lyr.fields:
            yield lyr, f


def split_codes(value: object) -> list[str]:
    """Split a ``codes`` cell into its values (empty cell → empty list)."""
    if value is None or (isinstance(value, float) and value != value):
        return []
    return [v.strip() for v in str(value).split(CODES_SEPARATOR) if v.strip()]


def join_codes(values: list[str] | tuple[str, ...]) -> str:
    return CODES_SEPARATOR.join(values)


def _check_references() -> None:
    for lyr, f in iter_fields():
        if f.references:
            target_layer, _, target_field = f.references.partition(".")
            if target_layer not in SCHEMA or target_field not in SCHEMA[target_layer]:
                raise ValueError(f"{lyr.name}.{f.name} references unknown {f.references}")


_check_references()
