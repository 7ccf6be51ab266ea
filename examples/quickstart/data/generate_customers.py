#!/usr/bin/env python3
"""Generates customers.csv, the sample customer list of the quickstart example.

    python3 generate_customers.py [--rows N] [--out PATH]

About 1,000 Chinese business customers with their contacts, written as Excel writes
"CSV UTF-8": UTF-8 with a byte-order mark, comma separated, standard quoting, CRLF line ends.
The output depends only on the seed 20261128 (``random.Random(20261128)``), so every run
writes the same file. Rows are generated in order from one random stream, so ``--rows N``
writes a prefix of the default file.

Every row is valid except the deliberate problems below, which sit at fixed positions so
that tests can assert on them. Positions are CSV line numbers, the header being line 1
(data row k is line k + 1). The script prints the same list, with the names it wrote, to
stderr. With ``--rows`` below 1000 the positions past the end are simply not written.

Duplicates -- the same company as an earlier row, written so that only name normalisation
(full-width folding, removing white space and punctuation, stripping the legal form) finds
it. The duplicate has an empty 统一社会信用代码 and other contacts, so nothing else matches.
    line 413 duplicates line  38: full-width brackets （…） written as half-width (…)
    line 504 duplicates line  89: 股份有限公司 written as 有限公司
    line 619 duplicates line 151: extra spaces inside the name and at its end
    line 732 duplicates line 204: English name in full-width letters and punctuation
    line 848 duplicates line 267: English name with "Co.,Ltd" instead of "Co., Ltd."
    line 959 duplicates line 302: 有限责任公司 written as 有限公司

Near duplicates -- a branch (分公司) of an earlier customer: the name is the earlier row's
full name plus "<city>分公司". A branch is a customer of its own, so these are not errors,
but a duplicate check should point them out.
    line 545: branch of line  13 (a Beijing company, branch in 上海)
    line 890: branch of line 121 (a Shenzhen company, branch in 武汉)

Bad rows -- one problem each, everything else in the row is valid.
    line 100: 客户名称 is empty (简称 empty too)
    line 223: 客户名称 has one character
    line 346: 统一社会信用代码 has a wrong check character (position 18)
    line 457: 统一社会信用代码 contains the forbidden letter O (a typed-in 0; the check
              character is right for the code with 0)
    line 568: 手机 has 10 digits
    line 679: 邮箱 has no @
    line 790: 电话 contains letters
    line 902: 信用额度 is -500

All other rows: names are unique and no name key contains another (no accidental
duplicates or near duplicates); 统一社会信用代码, where present (about 85 %), is valid
(GB 32100-2015, with a valid GB 11714 organisation code inside) and its administrative
division matches the row's city and district; phones, mobiles and e-mail addresses are well
formed.
"""

import argparse
import csv
import os
import random
import sys

SEED = 20261128

HEADER = [
    "客户名称", "简称", "客户类型", "客户等级", "行业", "省份", "城市", "客户来源", "地址",
    "电话", "网址", "统一社会信用代码", "开户银行", "银行账号", "信用额度", "负责人工号",
    "标签", "联系人", "职务", "手机", "邮箱", "生日", "联系人2", "职务2", "手机2", "邮箱2",
]

# --------------------------------------------------------------------------------------
# Deliberate problems, by data-row number (1-based; CSV line = data row + 1).

# duplicate row -> (original row, kind)
DUPLICATES = {
    412: (37, "brackets"),
    503: (88, "gufen"),
    618: (150, "spaces"),
    731: (203, "fullwidth"),
    847: (266, "coltd"),
    958: (301, "zeren"),
}
# near-duplicate row -> (original row, branch city)
NEAR_DUPLICATES = {
    544: (12, "上海"),
    889: (120, "武汉"),
}
# bad row -> kind
BAD_ROWS = {
    99: "empty_name",
    222: "one_char_name",
    345: "credit_code_check",
    456: "credit_code_letter",
    567: "mobile_10_digits",
    678: "email_no_at",
    789: "landline_letters",
    901: "credit_limit_negative",
}
# How the originals must look so that their duplicate can be written as described.
# original row -> (city or None, name style, legal form)
FORCED_ORIGINALS = {
    37: (None, "bracket", "有限公司"),
    88: (None, "plain", "股份有限公司"),
    150: (None, "plain", "有限公司"),
    203: ("上海", "english", None),
    266: (None, "english", None),
    301: (None, "plain", "有限责任公司"),
    12: ("北京", "plain", "有限公司"),
    120: ("深圳", "shi", "股份有限公司"),
}

# --------------------------------------------------------------------------------------
# Reference data.

# City -> province, pinyin, area code, districts (name, administrative division code,
# roads), local bank, weight. Division codes are GB/T 2260 district codes.
CITIES = {
    "北京": ("北京", "Beijing", "010", [
        ("东城区", "110101", ["东直门南大街", "建国门内大街", "东四十条"]),
        ("西城区", "110102", ["金融大街", "西直门南大街", "阜成门外大街"]),
        ("朝阳区", "110105", ["建国路", "东三环中路", "酒仙桥路", "望京街"]),
        ("丰台区", "110106", ["丰台北路", "南四环西路"]),
        ("海淀区", "110108", ["中关村大街", "学院路", "知春路", "上地十街"]),
    ], "北京银行", 10),
    "上海": ("上海", "Shanghai", "021", [
        ("黄浦区", "310101", ["南京东路", "西藏中路", "淮海中路"]),
        ("徐汇区", "310104", ["漕溪北路", "虹桥路", "宜山路"]),
        ("长宁区", "310105", ["延安西路", "天山路", "仙霞路"]),
        ("静安区", "310106", ["南京西路", "共和新路", "万荣路"]),
        ("闵行区", "310112", ["虹梅南路", "七莘路", "都市路"]),
        ("宝山区", "310113", ["友谊路", "牡丹江路"]),
        ("嘉定区", "310114", ["曹安公路", "沪宜公路"]),
        ("浦东新区", "310115", ["世纪大道", "张杨路", "祖冲之路", "川沙路"]),
    ], "上海银行", 11),
    "广州": ("广东", "Guangzhou", "020", [
        ("荔湾区", "440103", ["中山七路", "芳村大道", "黄沙大道"]),
        ("越秀区", "440104", ["环市东路", "东风中路", "解放北路"]),
        ("海珠区", "440105", ["新港中路", "江南大道中", "工业大道"]),
        ("天河区", "440106", ["天河路", "体育西路", "黄埔大道西", "天河北路"]),
        ("白云区", "440111", ["白云大道北", "机场路", "广园中路"]),
        ("黄埔区", "440112", ["科学大道", "开创大道"]),
        ("番禺区", "440113", ["迎宾路", "汉溪大道", "番禺大道北"]),
    ], "广州银行", 8),
    "深圳": ("广东", "Shenzhen", "0755", [
        ("罗湖区", "440303", ["人民南路", "深南东路", "宝安南路"]),
        ("福田区", "440304", ["深南大道", "益田路", "华强北路", "泰然九路"]),
        ("南山区", "440305", ["科苑路", "高新南四道", "南海大道", "后海大道"]),
        ("宝安区", "440306", ["宝安大道", "创业一路", "航城大道"]),
        ("龙岗区", "440307", ["龙岗大道", "坂雪岗大道"]),
        ("龙华区", "440309", ["民治大道", "梅龙大道"]),
    ], None, 10),
    "南京": ("江苏", "Nanjing", "025", [
        ("玄武区", "320102", ["珠江路", "北京东路", "龙蟠路"]),
        ("秦淮区", "320104", ["中华路", "太平南路", "中山南路"]),
        ("建邺区", "320105", ["江东中路", "庐山路"]),
        ("鼓楼区", "320106", ["中山北路", "汉中路", "湖南路"]),
        ("栖霞区", "320113", ["仙林大道", "和燕路"]),
        ("江宁区", "320115", ["双龙大道", "胜太路"]),
    ], "南京银行", 5),
    "苏州": ("江苏", "Suzhou", "0512", [
        ("虎丘区", "320505", ["狮山路", "长江路", "竹园路"]),
        ("吴中区", "320506", ["东吴北路", "吴中大道", "宝带东路"]),
        ("相城区", "320507", ["相城大道", "华元路"]),
        ("姑苏区", "320508", ["人民路", "干将西路", "十全街"]),
        ("吴江区", "320509", ["鲈乡南路", "中山南路"]),
    ], "苏州银行", 6),
    "杭州": ("浙江", "Hangzhou", "0571", [
        ("上城区", "330102", ["庆春路", "解放路", "望江东路"]),
        ("拱墅区", "330105", ["莫干山路", "湖墅南路", "丽水路"]),
        ("西湖区", "330106", ["文三路", "文二路", "天目山路", "古墩路"]),
        ("滨江区", "330108", ["江南大道", "滨安路", "长河路"]),
        ("萧山区", "330109", ["市心中路", "金城路", "建设一路"]),
        ("余杭区", "330110", ["文一西路", "良睦路", "五常大道"]),
    ], "杭州银行", 8),
    "宁波": ("浙江", "Ningbo", "0574", [
        ("海曙区", "330203", ["中山西路", "解放南路", "药行街"]),
        ("江北区", "330205", ["人民路", "大庆南路"]),
        ("北仑区", "330206", ["明州路", "新大路"]),
        ("鄞州区", "330212", ["天童南路", "四明中路"]),
    ], "宁波银行", 5),
    "济南": ("山东", "Jinan", "0531", [
        ("历下区", "370102", ["经十路", "泉城路", "山大路"]),
        ("市中区", "370103", ["英雄山路", "经四路"]),
        ("槐荫区", "370104", ["经六路", "张庄路"]),
        ("天桥区", "370105", ["北园大街", "堤口路"]),
        ("历城区", "370112", ["工业北路", "花园路"]),
    ], "齐鲁银行", 3),
    "青岛": ("山东", "Qingdao", "0532", [
        ("市南区", "370202", ["香港中路", "山东路", "东海西路"]),
        ("市北区", "370203", ["辽宁路", "延吉路", "敦化路"]),
        ("黄岛区", "370211", ["长江中路", "江山南路"]),
        ("崂山区", "370212", ["株洲路", "海尔路", "松岭路"]),
        ("李沧区", "370213", ["京口路", "黑龙江中路"]),
        ("城阳区", "370214", ["正阳路", "长城路"]),
    ], "青岛银行", 4),
    "成都": ("四川", "Chengdu", "028", [
        ("锦江区", "510104", ["东大街", "红星路", "总府路"]),
        ("青羊区", "510105", ["蜀都大道", "东城根街"]),
        ("金牛区", "510106", ["蜀汉路", "金府路", "沙湾路"]),
        ("武侯区", "510107", ["人民南路四段", "科华北路", "武侯祠大街"]),
        ("成华区", "510108", ["建设路", "府青路"]),
    ], "成都银行", 6),
    "武汉": ("湖北", "Wuhan", "027", [
        ("江岸区", "420102", ["沿江大道", "黄浦大街"]),
        ("江汉区", "420103", ["建设大道", "新华路", "唐家墩路"]),
        ("硚口区", "420104", ["中山大道", "汉西一路"]),
        ("汉阳区", "420105", ["汉阳大道", "鹦鹉大道", "龙阳大道"]),
        ("武昌区", "420106", ["中南路", "中北路", "武珞路", "徐东大街"]),
        ("洪山区", "420111", ["珞喻路", "鲁磨路", "雄楚大道", "关山大道"]),
    ], "汉口银行", 5),
    "厦门": ("福建", "Xiamen", "0592", [
        ("思明区", "350203", ["湖滨南路", "厦禾路", "莲前西路", "鹭江道"]),
        ("海沧区", "350205", ["海沧大道", "马青路"]),
        ("湖里区", "350206", ["湖里大道", "仙岳路", "嘉禾路"]),
        ("集美区", "350211", ["杏林湾路", "集美大道", "银江路"]),
    ], "厦门银行", 4),
    "天津": ("天津", "Tianjin", "022", [
        ("和平区", "120101", ["南京路", "滨江道", "营口道"]),
        ("河东区", "120102", ["十一经路", "津塘路", "六纬路"]),
        ("河西区", "120103", ["友谊路", "围堤道", "大沽南路"]),
        ("南开区", "120104", ["鞍山西道", "白堤路", "红旗南路"]),
        ("滨海新区", "120116", ["第三大街", "黄海路", "洞庭路"]),
    ], "天津银行", 5),
    "郑州": ("河南", "Zhengzhou", "0371", [
        ("中原区", "410102", ["中原中路", "桐柏路", "伏牛路"]),
        ("二七区", "410103", ["大学路", "航海中路", "京广中路"]),
        ("管城回族区", "410104", ["紫荆山路", "城东路", "商都路"]),
        ("金水区", "410105", ["花园路", "农业路", "经三路", "文化路"]),
    ], "郑州银行", 4),
    "西安": ("陕西", "Xi'an", "029", [
        ("新城区", "610102", ["解放路", "长乐西路", "东新街"]),
        ("碑林区", "610103", ["南大街", "东大街", "友谊西路"]),
        ("莲湖区", "610104", ["西大街", "劳动路", "丰庆路"]),
        ("未央区", "610112", ["未央路", "凤城二路", "文景路"]),
        ("雁塔区", "610113", ["科技路", "高新路", "小寨东路", "含光路"]),
    ], "西安银行", 4),
    "重庆": ("重庆", "Chongqing", "023", [
        ("渝中区", "500103", ["民权路", "中山三路", "解放西路"]),
        ("江北区", "500105", ["建新北路", "北城天街"]),
        ("沙坪坝区", "500106", ["沙坪坝正街", "汉渝路"]),
        ("南岸区", "500108", ["南坪西路", "江南大道", "南城大道"]),
        ("渝北区", "500112", ["金开大道", "星光大道"]),
    ], "重庆银行", 4),
    "长沙": ("湖南", "Changsha", "0731", [
        ("芙蓉区", "430102", ["五一大道", "八一路", "芙蓉中路"]),
        ("天心区", "430103", ["书院路", "劳动西路", "芙蓉南路"]),
        ("岳麓区", "430104", ["麓山南路", "枫林一路", "岳麓大道"]),
        ("开福区", "430105", ["湘雅路", "三一大道", "东风路"]),
        ("雨花区", "430111", ["韶山中路", "劳动东路", "万家丽中路"]),
    ], "长沙银行", 3),
    "合肥": ("安徽", "Hefei", "0551", [
        ("瑶海区", "340102", ["长江东路", "胜利路", "明光路"]),
        ("庐阳区", "340103", ["长江中路", "阜阳北路"]),
        ("蜀山区", "340104", ["长江西路", "黄山路", "望江西路"]),
        ("包河区", "340111", ["徽州大道", "马鞍山路"]),
    ], "徽商银行", 3),
    "佛山": ("广东", "Foshan", "0757", [
        ("禅城区", "440604", ["季华五路", "汾江中路", "祖庙路"]),
        ("南海区", "440605", ["南海大道", "南桂东路"]),
        ("顺德区", "440606", ["德胜东路", "容桂大道中"]),
    ], None, 3),
    "东莞": ("广东", "Dongguan", "0769", [
        # 东莞 has no districts: towns and sub-districts, all under division 441900.
        ("南城街道", "441900", ["鸿福路", "宏图路"]),
        ("东城街道", "441900", ["东城中路", "莞樟路"]),
        ("长安镇", "441900", ["长安中路", "振安路"]),
        ("虎门镇", "441900", ["虎门大道", "连升路"]),
    ], "东莞银行", 3),
    "无锡": ("江苏", "Wuxi", "0510", [
        ("滨湖区", "320211", ["太湖大道", "蠡湖大道"]),
        ("梁溪区", "320213", ["中山路", "人民中路", "解放南路"]),
        ("新吴区", "320214", ["长江路", "汉江路"]),
    ], "江苏银行", 3),
}
MUNICIPALITIES = {"北京", "上海", "天津", "重庆"}
# Companies named after the province are usually in the provincial capital.
CAPITALS = {"南京", "杭州", "济南", "成都", "武汉", "郑州", "西安", "长沙", "合肥"}

# 字号: two syllable lists give ~2,000 two-character names; some get a third character or
# a two-character prefix.
FIRST = [
    ("星", "xing"), ("华", "hua"), ("恒", "heng"), ("瑞", "rui"), ("金", "jin"),
    ("鸿", "hong"), ("宏", "hong"), ("盛", "sheng"), ("鑫", "xin"), ("泰", "tai"),
    ("嘉", "jia"), ("汇", "hui"), ("天", "tian"), ("永", "yong"), ("东", "dong"),
    ("新", "xin"), ("联", "lian"), ("博", "bo"), ("创", "chuang"), ("银", "yin"),
    ("德", "de"), ("安", "an"), ("凯", "kai"), ("富", "fu"), ("海", "hai"),
    ("正", "zheng"), ("佳", "jia"), ("优", "you"), ("锦", "jin"), ("万", "wan"),
    ("龙", "long"), ("长", "chang"), ("同", "tong"), ("润", "run"), ("立", "li"),
    ("信", "xin"), ("昌", "chang"), ("晟", "sheng"), ("卓", "zhuo"), ("蓝", "lan"),
    ("亿", "yi"), ("百", "bai"), ("合", "he"), ("广", "guang"), ("顺", "shun"),
    ("明", "ming"), ("高", "gao"), ("伟", "wei"),
]
SECOND = [
    ("辰", "chen"), ("信", "xin"), ("通", "tong"), ("丰", "feng"), ("鼎", "ding"),
    ("远", "yuan"), ("达", "da"), ("源", "yuan"), ("泰", "tai"), ("昌", "chang"),
    ("盛", "sheng"), ("宇", "yu"), ("兴", "xing"), ("隆", "long"), ("诚", "cheng"),
    ("和", "he"), ("利", "li"), ("威", "wei"), ("拓", "tuo"), ("峰", "feng"),
    ("晖", "hui"), ("阳", "yang"), ("邦", "bang"), ("力", "li"), ("翔", "xiang"),
    ("瑞", "rui"), ("华", "hua"), ("恒", "heng"), ("创", "chuang"), ("博", "bo"),
    ("安", "an"), ("腾", "teng"), ("驰", "chi"), ("凯", "kai"), ("嘉", "jia"),
    ("鑫", "xin"), ("云", "yun"), ("光", "guang"), ("耀", "yao"), ("景", "jing"),
    ("航", "hang"), ("科", "ke"), ("维", "wei"), ("泽", "ze"), ("益", "yi"),
]
THIRD = [
    ("达", "da"), ("通", "tong"), ("源", "yuan"), ("盛", "sheng"), ("兴", "xing"),
    ("隆", "long"), ("祥", "xiang"), ("泰", "tai"), ("丰", "feng"), ("鑫", "xin"),
    ("宝", "bao"), ("顺", "shun"),
]
PREFIX2 = [
    ("东方", "dongfang"), ("九州", "jiuzhou"), ("华夏", "huaxia"), ("天元", "tianyuan"),
    ("环球", "huanqiu"), ("亚太", "yatai"), ("神州", "shenzhou"), ("四海", "sihai"),
    ("五洲", "wuzhou"), ("万邦", "wanbang"), ("百川", "baichuan"), ("金桥", "jinqiao"),
    ("远航", "yuanhang"),
]
# Brand names of companies registered under an English name.
ENGLISH_BRANDS = [
    "Bright Star", "Golden Bridge", "Blue Ocean", "Evergreen", "Sunrise", "Silver Peak",
    "Grand Harvest", "Jade River", "Red Maple", "Silk Road", "Pacific Link",
    "Crystal Lake", "Northern Star", "Rising Sun", "Great Eastern", "Summit Peak",
    "Harmony", "Prosperity", "Orient Bridge", "Green Valley", "Silver Wing",
    "Golden Sail", "Blue Sky", "True North",
]

# Industry word in the name -> 行业, English word, domain hint, weight.
INDUSTRIES = [
    ("科技", "信息技术", "Technology", "tech", 10),
    ("软件", "信息技术", "Software", "soft", 5),
    ("网络科技", "信息技术", "Network Technology", "net", 4),
    ("信息技术", "信息技术", "Information Technology", "it", 3),
    ("电子", "制造业", "Electronics", "elec", 6),
    ("机械", "制造业", "Machinery", "machinery", 6),
    ("自动化设备", "制造业", "Automation Equipment", "automation", 3),
    ("环保", "制造业", "Environmental Protection", "eco", 2),
    ("环保科技", "制造业", "Environmental Technology", "eco", 2),
    ("包装", "制造业", "Packaging", "pack", 3),
    ("贸易", "批发零售", "Trading", "trade", 9),
    ("商贸", "批发零售", "Commerce and Trade", "trading", 5),
    ("进出口", "批发零售", "Import and Export", "imex", 3),
    ("化工", "化工", "Chemical", "chem", 5),
    ("新材料", "化工", "New Materials", "material", 3),
    ("物流", "物流运输", "Logistics", "logistics", 5),
    ("供应链管理", "物流运输", "Supply Chain Management", "scm", 2),
    ("国际货运代理", "物流运输", "International Freight Forwarding", "freight", 2),
    ("医疗器械", "医疗健康", "Medical Devices", "medical", 4),
    ("医药", "医疗健康", "Pharmaceutical", "pharm", 2),
    ("生物科技", "医疗健康", "Biotechnology", "bio", 2),
    ("食品", "食品饮料", "Food", "food", 4),
    ("饮品", "食品饮料", "Beverage", "drinks", 2),
    ("建材", "建筑建材", "Building Materials", "jc", 4),
    ("建筑工程", "建筑建材", "Construction Engineering", "build", 2),
    ("装饰工程", "建筑建材", "Decoration Engineering", "deco", 2),
    ("纺织", "纺织服装", "Textile", "textile", 3),
    ("服饰", "纺织服装", "Garment", "fashion", 2),
    ("新能源", "能源", "New Energy", "newenergy", 4),
    ("光伏科技", "能源", "Photovoltaic Technology", "solar", 2),
    ("能源", "能源", "Energy", "energy", 1),
    ("教育科技", "教育", "Education Technology", "edu", 2),
    ("教育咨询", "教育", "Education Consulting", "edu", 1),
    ("汽车配件", "汽车配件", "Auto Parts", "autoparts", 3),
    ("汽车零部件", "汽车配件", "Automotive Components", "auto", 2),
]

CUSTOMER_TYPES = [("终端客户", 55), ("经销商", 25), ("代理商", 12), ("合作伙伴", 8)]
LEVELS = [("A类", 12), ("B类", 38), ("C类", 35), ("D类", 15)]
SOURCES = [("展会", 18), ("网络推广", 22), ("老客户介绍", 25), ("电话营销", 14),
           ("主动来访", 11), ("招投标", 10)]
OWNERS = [("zhangsan", 45), ("lisi", 45), ("wangjl", 10)]
TAGS = ["重点客户", "长期合作", "新客户", "价格敏感", "大客户", "待跟进"]
CREDIT_LIMITS = {
    "A类": [200000, 300000, 500000, 800000, 1000000],
    "B类": [50000, 80000, 100000, 150000, 200000],
    "C类": [10000, 20000, 30000, 50000],
    "D类": [5000, 10000],
}

# Bank -> account length, account prefix digits. 支行 of the big banks, 分行 or 支行 of the others.
BANKS = [
    ("中国工商银行", 19, "1202", 20), ("中国建设银行", 19, "3305", 16),
    ("中国农业银行", 17, "19", 12), ("中国银行", 18, "35", 10), ("交通银行", 19, "3310", 8),
    ("招商银行", 16, "5719", 10), ("兴业银行", 18, "3560", 5), ("上海浦东发展银行", 17, "9501", 5),
    ("中信银行", 19, "8110", 4), ("中国民生银行", 16, "6300", 3), ("平安银行", 16, "1501", 3),
    ("中国光大银行", 17, "7655", 2), ("华夏银行", 17, "1045", 2),
]
BIG_BANKS = {"中国工商银行", "中国建设银行", "中国农业银行", "中国银行", "交通银行"}

# 20 common surnames, weighted by frequency.
SURNAMES = [
    ("王", "wang", 71), ("李", "li", 70), ("张", "zhang", 67), ("刘", "liu", 54),
    ("陈", "chen", 45), ("杨", "yang", 31), ("黄", "huang", 21), ("赵", "zhao", 20),
    ("吴", "wu", 19), ("周", "zhou", 19), ("徐", "xu", 15), ("孙", "sun", 14),
    ("马", "ma", 13), ("朱", "zhu", 12), ("胡", "hu", 12), ("郭", "guo", 11),
    ("何", "he", 11), ("高", "gao", 10), ("林", "lin", 10), ("罗", "luo", 9),
]
GIVEN = [
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"),
    ("艳", "yan"), ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"),
    ("超", "chao"), ("秀", "xiu"), ("霞", "xia"), ("平", "ping"), ("刚", "gang"),
    ("英", "ying"), ("华", "hua"), ("建", "jian"), ("文", "wen"), ("斌", "bin"),
    ("鹏", "peng"), ("辉", "hui"), ("宇", "yu"), ("浩", "hao"), ("婷", "ting"),
    ("雪", "xue"), ("琳", "lin"), ("晨", "chen"), ("欣", "xin"), ("博", "bo"),
    ("佳", "jia"), ("俊", "jun"), ("慧", "hui"), ("志", "zhi"), ("海", "hai"),
    ("红", "hong"), ("玉", "yu"), ("兰", "lan"), ("梅", "mei"), ("峰", "feng"),
    ("波", "bo"), ("宁", "ning"), ("颖", "ying"), ("倩", "qian"), ("楠", "nan"),
    ("凯", "kai"), ("晓", "xiao"), ("思", "si"), ("雨", "yu"), ("嘉", "jia"),
    ("国", "guo"), ("春", "chun"), ("立", "li"), ("子", "zi"), ("永", "yong"),
]
TITLES = [
    ("总经理", 15), ("副总经理", 5), ("采购经理", 18), ("采购专员", 12), ("财务经理", 8),
    ("财务主管", 4), ("技术总监", 6), ("行政主管", 5), ("销售总监", 6), ("运营总监", 3),
    ("项目经理", 8), ("董事长", 3), ("仓储主管", 2), ("办公室主任", 3), ("商务经理", 5),
]
FREE_MAIL = [("163.com", 35), ("qq.com", 35), ("126.com", 12), ("sina.com", 6),
             ("foxmail.com", 7), ("139.com", 5)]
MOBILE_PREFIXES = [
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "147", "150",
    "151", "152", "153", "155", "156", "157", "158", "159", "166", "173", "176", "177",
    "180", "181", "182", "183", "185", "186", "187", "188", "189", "191", "198", "199",
]
BUILDINGS = ["科技大厦", "国际大厦", "商务中心", "创业园", "工业园", "金融中心", "产业园"]

# --------------------------------------------------------------------------------------
# 统一社会信用代码 (GB 32100-2015) with its organisation code (GB 11714).

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def uscc_check_char(first17):
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    return USCC_CHARSET[(31 - total % 31) % 31]


def org_check_char(first8):
    def value(c):
        return int(c) if c.isdigit() else ord(c) - ord("A") + 10
    c9 = 11 - sum(value(c) * w for c, w in zip(first8, ORG_WEIGHTS)) % 11
    return {10: "X", 11: "0"}.get(c9, str(c9))


def uscc_is_valid(code):
    return (len(code) == 18 and all(c in USCC_CHARSET for c in code)
            and uscc_check_char(code[:17]) == code[17])


def make_credit_code(rng, division):
    if rng.random() < 0.5:
        # Codes of companies registered since 2015: organisation code starting with MA.
        first8 = "MA" + "".join(rng.choice(USCC_CHARSET) for _ in range(6))
    else:
        # Older companies kept their numeric organisation code.
        first8 = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(7))
    first17 = "91" + division + first8 + org_check_char(first8)
    return first17 + uscc_check_char(first17)


# --------------------------------------------------------------------------------------
# Company-name key, as crm_core::text::company_name_key computes it, to keep the sample free
# of accidental duplicates and near duplicates.

LEGAL_FORM_SUFFIXES = [
    "股份有限公司", "有限责任公司", "有限公司", "有限合伙", "companylimited", "colimited",
    "limited", "coltd", "ltd", "incorporated", "inc", "corporation", "corp", "llc", "gmbh",
]


def _half_width(c):
    if "\uff01" <= c <= "\uff5e":
        return chr(ord(c) - 0xFEE0)
    return " " if c == "\u3000" else c


def _is_punctuation(c):
    o = ord(c)
    return ((c.isascii() and not c.isalnum() and 0x21 <= o <= 0x7E)
            or c in "¡§«¶·»¿" or 0x2000 <= o <= 0x206F or 0x3000 <= o <= 0x303F
            or o == 0x30FB or 0xFE10 <= o <= 0xFE1F or 0xFE30 <= o <= 0xFE6F or o == 0xFEFF
            or 0xFF01 <= o <= 0xFF0F or 0xFF1A <= o <= 0xFF20 or 0xFF3B <= o <= 0xFF40
            or 0xFF5B <= o <= 0xFF65)


def name_key(name):
    key = "".join(c for c in "".join(_half_width(c) for c in name).lower()
                  if not c.isspace() and not _is_punctuation(c))
    while True:
        matches = [s for s in LEGAL_FORM_SUFFIXES if key.endswith(s)]
        if not matches:
            return key
        suffix = max(matches, key=len)
        if len(suffix) == len(key):
            return key
        key = key[: -len(suffix)]


def full_width(s):
    """ASCII letters, digits and punctuation as full-width forms; spaces stay."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------------------
# Generation.

def weighted(rng, pairs):
    items, weights = zip(*pairs)
    return rng.choices(items, weights=weights)[0]


class Generator:
    def __init__(self, rng):
        self.rng = rng
        self.rows = []      # generated rows, as dicts with a "meta" entry
        self.keys = set()   # name keys of all rows
        self.key_list = []  # the same, for containment checks
        self.brands = set()  # 字号 / English brands in use
        self.domains = set()

    # -- names ---------------------------------------------------------------------------

    def new_brand(self):
        rng = self.rng
        while True:
            (a, pa), (b, pb) = rng.choice(FIRST), rng.choice(SECOND)
            if a == b:
                continue
            zh, py = a + b, pa + pb
            r = rng.random()
            if r < 0.18:
                c, pc = rng.choice(THIRD)
                if c == b:
                    continue
                zh, py = zh + c, py + pc
            elif r < 0.27:
                p, pp = rng.choice(PREFIX2)
                zh, py = p + zh, pp + py
            if zh not in self.brands:
                return zh, py

    def key_is_free(self, key):
        if len(key) < 2 or key in self.keys:
            return False
        return not any(key in k or k in key for k in self.key_list)

    def remember(self, name, brand):
        key = name_key(name)
        self.keys.add(key)
        self.key_list.append(key)
        self.brands.add(brand)

    def company_name(self, city, forced_style=None, forced_form=None):
        """Returns (name, short name, industry tuple, meta) for a new, distinct company."""
        rng = self.rng
        province = CITIES[city][0]
        city_py = CITIES[city][1]
        for _ in range(10000):
            industry = weighted(rng, [(i, i[4]) for i in INDUSTRIES])
            word, _, english, _, _ = industry
            style = forced_style or weighted(rng, [
                ("plain", 56), ("shi", 20), ("bracket", 12), ("province", 7), ("english", 5)])
            if style == "province" and city not in CAPITALS:
                style = "plain"
            if style == "english":
                if rng.random() < 0.5:
                    brand = rng.choice(ENGLISH_BRANDS)
                    brand_py = brand.lower().replace(" ", "")
                else:
                    _, brand_py = self.new_brand()
                    brand = brand_py.capitalize()
                if brand in self.brands:
                    continue
                name = f"{city_py} {brand} {english} Co., Ltd."
                if not self.key_is_free(name_key(name)):
                    continue
                meta = {"style": style, "brand": brand, "brand_py": brand_py,
                        "industry": word, "city_prefix": city_py, "form": "Co., Ltd."}
                short = brand if rng.random() < 0.6 else ""
                self.remember(name, brand)
                return name, short, industry, meta
            brand, brand_py = self.new_brand()
            form = forced_form or weighted(rng, [
                ("有限公司", 75), ("有限责任公司", 8), ("股份有限公司", 11), ("集团有限公司", 6)])
            body = brand + word
            if form == "集团有限公司":
                body = brand if rng.random() < 0.6 else body
                form_text = "集团有限公司"
            else:
                form_text = form
            if style == "bracket":
                prefix = ""
                # The form goes after the bracket: 星辰科技（杭州）有限公司, 星辰集团（杭州）有限公司.
                if form == "集团有限公司":
                    name = f"{body}集团（{city}）有限公司"
                else:
                    name = f"{body}（{city}）{form_text}"
            else:
                prefix = {"plain": city, "shi": city + "市", "province": province}[style]
                name = prefix + body + form_text
            if not self.key_is_free(name_key(name)):
                continue
            # 简称 is the name without place and legal form: 星辰科技, or 瑞昌集团 for 瑞昌集团有限公司.
            short = "" if rng.random() < 0.15 else (body if body != brand else brand + "集团")
            meta = {"style": style, "brand": brand, "brand_py": brand_py, "industry": word,
                    "city_prefix": prefix, "form": form}
            self.remember(name, brand)
            return name, short, industry, meta
        raise RuntimeError("ran out of distinct company names; lower --rows")

    # -- other fields --------------------------------------------------------------------

    def domain(self, meta):
        rng = self.rng
        ind_hint = next(i[3] for i in INDUSTRIES if i[0] == meta["industry"])
        py = meta["brand_py"]
        city_py = CITIES_BY_PY.get(meta.get("city_prefix"), "")
        candidates = [
            f"{py}.com", f"{py}{ind_hint}.com", f"{py}-{ind_hint}.com",
            f"{city_py}{py}.com", f"{py}group.com", f"{py}.com.cn", f"{py}.cn",
        ]
        tld = weighted(rng, [(c, w) for c, w in zip(candidates, [30, 25, 10, 15, 5, 10, 5])])
        for d in [tld] + candidates + [f"{py}{n}.com" for n in range(2, 99)]:
            if d not in self.domains:
                self.domains.add(d)
                return d
        raise RuntimeError("no free domain")

    def landline(self, city):
        rng = self.rng
        area = CITIES[city][2]
        if len(area) == 4 and rng.random() < 0.08:
            local = str(rng.randint(2, 8)) + "".join(rng.choice("0123456789") for _ in range(6))
            return f"{area}-{local}"
        local = str(rng.randint(2, 8)) + "".join(rng.choice("0123456789") for _ in range(7))
        form = weighted(rng, [("dash", 84), ("paren", 5), ("space", 5), ("ext", 6)])
        if form == "paren":
            return f"({area}){local}"
        if form == "space":
            return f"{area} {local[:4]} {local[4:]}"
        if form == "ext":
            return f"{area}-{local}转{rng.randint(800, 8999)}"
        return f"{area}-{local}"

    def mobile(self):
        rng = self.rng
        digits = rng.choice(MOBILE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(8))
        form = weighted(rng, [("plain", 75), ("space", 15), ("dash", 5), ("intl", 5)])
        if form == "space":
            return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
        if form == "dash":
            return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
        if form == "intl":
            return f"+86 {digits}"
        return digits

    def person(self, exclude=()):
        rng = self.rng
        while True:
            surname, spy, _ = rng.choices(SURNAMES, weights=[s[2] for s in SURNAMES])[0]
            given = [rng.choice(GIVEN) for _ in range(1 if rng.random() < 0.35 else 2)]
            if len(given) == 2 and given[0][0] == given[1][0]:
                continue
            name = surname + "".join(g[0] for g in given)
            if name not in exclude:
                return name, spy, [g[1] for g in given]

    def email(self, spy, gpy, birthday, domain):
        rng = self.rng
        if domain and rng.random() < 0.65:
            local = weighted(rng, [
                (spy + "".join(gpy), 40), (f"{spy}.{''.join(gpy)}", 20),
                (f"{''.join(gpy)}.{spy}", 10), (spy + "".join(g[0] for g in gpy), 20),
                (spy[0] + "".join(g[0] for g in gpy), 10)])
            return f"{local}@{domain}"
        mail = weighted(rng, FREE_MAIL)
        if mail == "qq.com" and rng.random() < 0.7:
            return f"{rng.randint(10000, 2999999999)}@qq.com"
        local = weighted(rng, [(spy + "".join(gpy), 50), (spy + "_" + "".join(gpy), 15),
                               ("".join(gpy) + spy, 15), (spy[0] + "".join(g[0] for g in gpy), 20)])
        suffix = weighted(rng, [(birthday[:4] if birthday else "", 30),
                                (str(rng.randint(1, 999)), 40), ("", 30)])
        return f"{local}{suffix}@{mail}"

    def birthday(self):
        rng = self.rng
        year, month = rng.randint(1965, 1998), rng.randint(1, 12)
        days = [31, 29 if year % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return f"{year:04d}-{month:02d}-{rng.randint(1, days[month - 1]):02d}"

    def contacts(self, domain, second_share=0.4):
        rng = self.rng
        name, spy, gpy = self.person()
        title = weighted(rng, TITLES)
        birthday = self.birthday() if rng.random() < 0.5 else ""
        email = self.email(spy, gpy, birthday, domain) if rng.random() < 0.88 else ""
        c = {"联系人": name, "职务": title, "手机": self.mobile(), "邮箱": email, "生日": birthday,
             "联系人2": "", "职务2": "", "手机2": "", "邮箱2": "", "_pinyin": (spy, gpy)}
        if rng.random() < second_share:
            name2, spy2, gpy2 = self.person(exclude=(name,))
            title2 = weighted(rng, [t for t in TITLES if t[0] != title])
            c["联系人2"], c["职务2"] = name2, title2
            c["手机2"] = self.mobile() if rng.random() < 0.9 else ""
            c["邮箱2"] = self.email(spy2, gpy2, "", domain) if rng.random() < 0.7 else ""
        return c

    def address(self, city, district, road):
        rng = self.rng
        head = "" if city in MUNICIPALITIES or rng.random() < 0.9 else CITIES[city][0] + "省"
        number = rng.choice([rng.randint(1, 99), rng.randint(1, 999), rng.randint(100, 1999)])
        addr = f"{head}{city}市{district}{road}{number}号"
        r = rng.random()
        if r < 0.15:
            addr += f"{rng.choice(BUILDINGS)}{rng.randint(2, 28)}楼"
        elif r < 0.28:
            addr += f"{rng.randint(1, 12)}栋{rng.randint(1, 18)}{rng.randint(1, 12):02d}室"
        elif r < 0.36:
            addr += f"{rng.choice('ABCD')}座{rng.randint(2, 26)}{rng.randint(1, 20):02d}室"
        return addr

    def bank(self, city, district):
        rng = self.rng
        if rng.random() < 0.18:
            return "", ""
        local_bank = CITIES[city][4]
        area = district.removesuffix("回族区").removesuffix("新区").removesuffix("区")
        area = area.removesuffix("街道").removesuffix("镇")
        if local_bank and rng.random() < 0.12:
            name = f"{local_bank}{area}支行"
            length, prefix = rng.choice([16, 17, 18]), str(rng.randint(1, 9))
        else:
            bank, length, prefix, _ = rng.choices(BANKS, weights=[b[3] for b in BANKS])[0]
            if bank in BIG_BANKS or rng.random() < 0.5:
                name = f"{bank}{city}{area}支行"
            else:
                name = f"{bank}{city}分行"
        account = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix)))
        return name, account

    def tags(self, level):
        rng = self.rng
        n = weighted(rng, [(0, 40), (1, 40), (2, 20)])
        weights = [4 if level == "A类" else 1, 2, 2, 2, 3 if level == "A类" else 1, 2]
        chosen = []
        while len(chosen) < n:
            t = rng.choices(TAGS, weights=weights)[0]
            if t in chosen or {t, *chosen} == {"新客户", "长期合作"}:
                continue
            chosen.append(t)
        return "、".join(chosen)

    def row(self, city=None, forced_style=None, forced_form=None):
        rng = self.rng
        city = city or weighted(rng, [(c, v[5]) for c, v in CITIES.items()])
        province, _, _, districts, _, _ = CITIES[city]
        district, division, roads = rng.choice(districts)
        name, short, industry, meta = self.company_name(city, forced_style, forced_form)
        meta.update(city=city, district=district, division=division)
        word, trade, _, _, _ = industry
        ctype = weighted(rng, [(t, w * (2 if t in ("经销商", "代理商") and trade == "批发零售" else 1))
                               for t, w in CUSTOMER_TYPES])
        level = weighted(rng, LEVELS)
        domain = self.domain(meta) if rng.random() < 0.45 else ""
        bank, account = self.bank(city, district)
        limit = "" if rng.random() < 0.3 else f"{rng.choice(CREDIT_LIMITS[level])}.00"
        r = {
            "客户名称": name, "简称": short, "客户类型": ctype, "客户等级": level, "行业": trade,
            "省份": province, "城市": city, "客户来源": weighted(rng, SOURCES),
            "地址": self.address(city, district, rng.choice(roads)), "电话": self.landline(city),
            "网址": f"www.{domain}" if domain else "",
            "统一社会信用代码": make_credit_code(rng, division) if rng.random() < 0.85 else "",
            "开户银行": bank, "银行账号": account, "信用额度": limit,
            "负责人工号": weighted(rng, OWNERS), "标签": self.tags(level),
        }
        r.update(self.contacts(domain))
        meta["domain"] = domain
        r["meta"] = meta
        return r

    # -- deliberate problems -------------------------------------------------------------

    def duplicate(self, original, kind):
        rng = self.rng
        m = original["meta"]
        name = original["客户名称"]
        if kind == "brackets":
            dup = name.replace("（", "(").replace("）", ")")
        elif kind == "gufen":
            dup = name.removesuffix("股份有限公司") + "有限公司"
        elif kind == "zeren":
            dup = name.removesuffix("有限责任公司") + "有限公司"
        elif kind == "spaces":
            body = name[len(m["city_prefix"]):].removesuffix(m["form"])
            dup = f"{m['city_prefix']} {body}  {m['form']} "
        elif kind == "fullwidth":
            dup = full_width(name)
        elif kind == "coltd":
            dup = name.removesuffix("Co., Ltd.") + "Co.,Ltd"
        else:
            raise ValueError(kind)
        assert dup != name and name_key(dup) == name_key(name), (name, dup)
        r = {k: v for k, v in original.items() if k != "meta"}
        # Entered again by someone else: other contacts, owner and source, no credit code.
        r.update({"客户名称": dup, "统一社会信用代码": "", "客户等级": weighted(rng, LEVELS),
                  "客户来源": weighted(rng, SOURCES), "负责人工号": weighted(rng, OWNERS),
                  "标签": "", "信用额度": "", "开户银行": "", "银行账号": ""})
        r.update(self.contacts(m["domain"]))
        r["meta"] = dict(m, kind="duplicate")
        return r

    def branch(self, original, city):
        rng = self.rng
        m = original["meta"]
        name = f"{original['客户名称']}{city}分公司"
        province, _, _, districts, _, _ = CITIES[city]
        district, division, roads = rng.choice(districts)
        short = f"{original['简称']}{city}分公司" if original["简称"] else ""
        bank, account = self.bank(city, district)
        r = {
            "客户名称": name, "简称": short, "客户类型": original["客户类型"],
            "客户等级": weighted(rng, LEVELS), "行业": original["行业"], "省份": province,
            "城市": city, "客户来源": weighted(rng, SOURCES),
            "地址": self.address(city, district, rng.choice(roads)), "电话": self.landline(city),
            "网址": original["网址"], "统一社会信用代码": make_credit_code(rng, division),
            "开户银行": bank, "银行账号": account, "信用额度": "",
            "负责人工号": weighted(rng, OWNERS), "标签": "",
        }
        r.update(self.contacts(m["domain"]))
        r["meta"] = dict(m, kind="branch", city=city)
        key = name_key(name)
        self.keys.add(key)
        self.key_list.append(key)
        return r

    def spoil(self, r, kind):
        """Puts one deliberate problem into an otherwise valid row; returns a description."""
        rng = self.rng
        if kind == "empty_name":
            r["客户名称"], r["简称"] = "", ""
            return "客户名称 is empty"
        if kind == "one_char_name":
            r["客户名称"], r["简称"] = "鑫", ""
            return "客户名称 has one character: 鑫"
        if kind == "credit_code_check":
            code = r["统一社会信用代码"] or make_credit_code(rng, r["meta"]["division"])
            wrong = rng.choice([c for c in USCC_CHARSET if c != code[17]])
            r["统一社会信用代码"] = code[:17] + wrong
            return f"统一社会信用代码 {code[:17] + wrong}: check character {wrong}, should be {code[17]}"
        if kind == "credit_code_letter":
            # A typed-in letter O for a 0 inside the organisation code; the check is right for 0.
            while True:
                code = make_credit_code(rng, r["meta"]["division"])
                zeros = [i for i in range(8, 16) if code[i] == "0"]
                if zeros:
                    break
            i = zeros[0]
            bad = code[:i] + "O" + code[i + 1:]
            r["统一社会信用代码"] = bad
            return f"统一社会信用代码 {bad}: forbidden letter O at position {i + 1} (a typed 0)"
        if kind == "mobile_10_digits":
            r["手机"] = rng.choice(MOBILE_PREFIXES) + "".join(
                rng.choice("0123456789") for _ in range(7))
            return f"手机 {r['手机']}: 10 digits"
        if kind == "email_no_at":
            # The @ left out: zhangwei163.com.
            spy, gpy = r["_pinyin"]
            r["邮箱"] = (r["邮箱"] or self.email(spy, gpy, "", r["meta"]["domain"])).replace("@", "")
            return f"邮箱 {r['邮箱']}: no @"
        if kind == "landline_letters":
            area = CITIES[r["城市"]][2]
            r["电话"] = f"{area}-{rng.randint(2, 8)}{rng.randint(100, 999)}ABCD"
            return f"电话 {r['电话']}: contains letters"
        if kind == "credit_limit_negative":
            r["信用额度"] = "-500"
            return "信用额度 is -500"
        raise ValueError(kind)

    # -- the whole file -------------------------------------------------------------------

    def generate(self, n):
        notes = []  # (line, text)
        for i in range(1, n + 1):
            if i in DUPLICATES:
                orig, kind = DUPLICATES[i]
                r = self.duplicate(self.rows[orig - 1], kind)
                notes.append((i + 1, f"duplicate of line {orig + 1} ({kind}): "
                                     f"{r['客户名称']!r} ~ {self.rows[orig - 1]['客户名称']!r}"))
            elif i in NEAR_DUPLICATES:
                orig, city = NEAR_DUPLICATES[i]
                r = self.branch(self.rows[orig - 1], city)
                notes.append((i + 1, f"near duplicate (branch) of line {orig + 1}: "
                                     f"{r['客户名称']!r} contains {self.rows[orig - 1]['客户名称']!r}"))
            elif i in FORCED_ORIGINALS:
                city, style, form = FORCED_ORIGINALS[i]
                r = self.row(city, style, form)
            else:
                r = self.row()
                if i in BAD_ROWS:
                    notes.append((i + 1, "bad row: " + self.spoil(r, BAD_ROWS[i])))
            self.rows.append(r)
        return notes


CITIES_BY_PY = {}
for _c, _v in CITIES.items():
    CITIES_BY_PY[_c] = _v[1].lower().replace("'", "")
    CITIES_BY_PY[_c + "市"] = CITIES_BY_PY[_c]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1000, help="data rows to write (default 1000)")
    parser.add_argument("--out", default=os.path.join(here, "customers.csv"),
                        help="output file (default: customers.csv next to this script)")
    args = parser.parse_args()
    if args.rows < 1:
        parser.error("--rows must be at least 1")

    gen = Generator(random.Random(SEED))
    notes = gen.generate(args.rows)
    with open(args.out, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)  # Excel dialect: minimal quoting, CRLF line ends
        writer.writerow(HEADER)
        for r in gen.rows:
            writer.writerow([r[h] for h in HEADER])

    print(f"wrote {args.out}: {len(gen.rows)} data rows (lines 2-{len(gen.rows) + 1})",
          file=sys.stderr)
    print("deliberate problems (line numbers, header = line 1):", file=sys.stderr)
    for line, text in sorted(notes):
        print(f"  line {line:4d}: {text}", file=sys.stderr)


if __name__ == "__main__":
    main()
