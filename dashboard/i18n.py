"""Interface text in Chinese (default) and English.

Layer and field labels come from the schema; this holds only page text.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGS = ("zh", "en")

TEXT: Mapping[str, tuple[str, str]] = {
    "app_name": ("红色地图", "Red Map"),
    "district": ("秦都区", "Qindu District"),
    "public_title": ("心心秦家 · 身边的党群服务", "Xinxin Qinjia · service points near you"),
    "staff_title": ("红色地图 · 工作台", "Red Map · staff workspace"),
    "wall_title": (
        "秦都区“红色地图”党建引领基层治理指挥大屏",
        "Qindu Red Map · party-building and community governance",
    ),
    "wall_page_title": ("红色地图 · 指挥大屏", "Red Map · wall display"),
    "schematic": ("边界示意，非法定界线", "Boundaries are schematic, not legal"),
    "demo_data": ("演示数据", "Demo data"),
    "need_label": ("我需要", "I need"),
    "pub_page_title": (
        "红色地图 · 心心秦家 · 身边的党群服务",
        "Red Map · Xinxin Qinjia service points near you",
    ),
    "pub_search_label": ("搜索地点", "Search a place"),
    "pub_search_placeholder": ("搜地点：中文、拼音或首字母", "Name, pinyin or initials"),
    "pub_suggestions": ("地点建议", "Suggested places"),
    "pub_results": ("附近的服务点", "Places near you"),
    "pub_switch_lang": ("切换语言：", "Switch language: "),
    "pub_my_location": ("我的位置", "My location"),
    "pub_locating": ("正在获取您的位置…", "Finding your location…"),
    "pub_geo_denied": (
        "手机没有允许本页使用位置。可以在浏览器设置里允许后再点“我的位置”；"
        "也可以在上面搜索地点，或在地图上点一下您所在的地方。",
        "Your phone did not let this page use your location. Allow it in the browser settings and "
        'tap "My location" again, or search for a place above, or tap where you are on the map.',
    ),
    "pub_geo_insecure": (
        "手机只在安全网址（以 https:// 开头）上提供位置，本页地址不是。"
        "请在上面搜索地点，或在地图上点一下您所在的地方。",
        "Phones only share your location with secure pages (addresses starting with https://), and "
        "this one is not. Search for a place above, or tap where you are on the map.",
    ),
    "pub_geo_failed": (
        "暂时没有取得位置（信号弱或等得太久）。请稍后再试，或者搜索地点、在地图上点一下。",
        "Your location could not be found just now (weak signal, or it took too long). Try again, "
        "or search for a place, or tap the map.",
    ),
    "pub_geo_outside": (
        "您的位置不在秦都区内。请搜索地点，或在地图上点一下。",
        "You seem to be outside Qindu District: search for a place or tap the map.",
    ),
    "pub_count": ("最近的 {} 个服务点，按步行远近排列", "The {} nearest places, by walking distance"),
    "pub_count_one": ("最近的 1 个服务点", "The nearest place"),
    "pub_none": ("附近没有符合条件的服务点。", "No matching place nearby."),
    "pub_zoom_in": ("放大地图", "Zoom in"),
    "pub_zoom_out": ("缩小地图", "Zoom out"),
    "layers": ("图层", "Layers"),
    "street_filter": ("街道", "Street"),
    "all_streets": ("全部街道", "All streets"),
    "lang_switch": ("English", "中文"),
    "lang_switch_name": ("English（切换为英文界面）", "中文 (switch to Chinese)"),
    "updated": ("数据更新", "Data updated"),
    "street_panel": ("街道服务量", "Service volume by street"),
    "other_streets": ("其余 {n} 个街道", "{n} other streets"),
    "records": ("业务记录", "Records"),
    "community_filter": ("社区", "Community"),
    "all_communities": ("全部社区", "All communities"),
    "grid_filter": ("网格", "Grid"),
    "all_grids": ("全部网格", "All grids"),
    "themes": ("专题与缺口", "Themes & gaps"),
    "metric": ("专题指标", "Metric"),
    "no_theme": ("不显示专题图", "No choropleth"),
    "walk_coverage": ("步行可达户数占比（%）", "Households within the walk (%)"),
    "area_level": ("统计单元", "Areas"),
    "classes": ("分级", "Classes"),
    "scheme_quantiles": ("分位数", "Quantiles"),
    "scheme_natural_breaks": ("自然断点", "Natural breaks"),
    "gap_title": ("服务缺口分析", "Service gaps"),
    "gap_service": ("服务", "Service"),
    "gap_minutes": ("步行时间", "Walking time"),
    "minutes_walk": ("步行{}分钟", "{} min walk"),
    "date_from": ("开始日期", "From"),
    "date_to": ("结束日期", "To"),
    "time": ("时间", "Time"),
    "zoom_in_for": ("数据量大，放大地图后显示：{layers}", "Many features: zoom in to show {layers}"),
    "play": ("按时间播放", "Play through time"),
    "in_view_only": ("仅当前地图范围", "In map view only"),
    "search_table": ("在表中搜索…", "Search the table…"),
    "no_rows": ("没有符合条件的记录", "No records match"),
    "sort_by": ("按“{}”排序", "Sort by {}"),
    "page_first": ("第一页", "First page"),
    "page_prev": ("上一页", "Previous page"),
    "page_next": ("下一页", "Next page"),
    "page_last": ("最后一页", "Last page"),
    "page_of": ("第 {} / {} 页", "page {} of {}"),
    "pages": ("翻页", "Pages"),
    "export": ("导出", "Export"),
    "export_html": ("离线地图", "Offline map"),
    "export_png": ("图片", "Image"),
    "export_hint": ("导出当前筛选的全部记录", "Download every record of the current filters"),
    "legend_metric": ("{}，按{}，{}", "{} by {}, {}"),
    "logout": ("退出登录", "Sign out"),
    "role_admin": ("管理员", "administrator"),
    "role_street_staff": ("街道工作人员", "street staff"),
    "role_viewer": ("只读", "viewer"),
    "role_kiosk": ("大屏", "wall display"),
    "role_public": ("访客", "visitor"),
    "wall_mediation": ("三级三轮矛盾纠纷调解", "Mediation: 3 levels × 3 rounds"),
    "wall_incidents": ("网格事件：发现与办结（月）", "Incidents found / closed"),
    "wall_incubation": ("三无小区七步孵化", "7-step incubation"),
    "wall_meals": ("日间照料助餐（月）", "Day-care meals"),
    "wall_found": ("发现", "found"),
    "wall_closed": ("办结", "closed"),
    "wall_median_days": ("办结用时中位数", "median days to close"),
    "wall_days": ("天", "days"),
    "wall_round": ("第{n}轮", "Round {n}"),
    "wall_cases": ("件", "cases"),
    "wall_compounds": ("个小区", "compounds"),
    "wall_last_12": ("近12个月", "last 12 months"),
    "wall_offline": ("连接中断，正在重连…", "Connection lost, reconnecting…"),
    "wall_tour_label": ("街道巡览", "Street tour"),
    "wall_xixian": ("西咸新区代管", "managed by Xixian New Area"),
    "wall_suppressed": ("少于5人不显示", "fewer than 5 people: not shown"),
    "wall_t_centers": ("心心秦家服务中心", "Service centres"),
    "wall_t_people": ("服务群众（人次）", "People served"),
    "wall_t_problems": ("解决急难愁盼", "Problems solved"),
    "wall_t_open": ("在办 / 超期事件", "Open / overdue incidents"),
    "wall_t_mediation": ("调解纠纷 · 成功率", "Disputes mediated · settled"),
    "wall_t_compounds": ("三无小区（完成孵化）", "Three-no compounds (done)"),
    "wall_t_grids": ("网格党支部", "Grid party branches"),
    "wall_t_daycare": ("日间照料中心", "Day-care centres"),
    "wall_t_households": ("户数", "Households"),
}


def t(key: str, lang: str = "zh") -> str:
    """The text for ``key`` in ``lang`` (Chinese when the language is unknown)."""
    zh, en = TEXT[key]
    return en if lang == "en" else zh


def pick_lang(requested: str | None, default: str = "zh") -> str:
    return requested if requested in LANGS else default
