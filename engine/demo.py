"""A realistic demo: eight weeks of field reports in Vĩnh Long, driven through the use cases.

``seed`` writes no row itself. Every report is sent with :meth:`Lifecycle.submit` and every later
step is an ordinary :meth:`Lifecycle.perform` with an explicit time, so the demo's events, clocks,
extensions, ratings, outbox messages and hash chains are exactly what real use would leave.

It works in two phases:

1. **Plan** (in memory, from ``random.Random(seed)`` only): who writes what and where, then what
   the IOC, the agency's officer and leader and the reporter do, each step at a plausible working
   time from the calendar. Whatever would happen after ``end`` is dropped, so reports sent late in
   the period are naturally still being handled. The plan is then adjusted so that every state of
   the workflow occurs (a few recent reports are held at a step; a finished one is marked
   confidential or state-secret if none was).
2. **Run**: report by report, in the order they were sent, through the use cases.

The content templates, names and places are data, in the first section below.
"""

from __future__ import annotations

import random
import secrets
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any

from sqlalchemy import func, select

from engine.accounts import create_user, find_user
from engine.config.snapshot import Area
from engine.services.lifecycle import Actor, Lifecycle, NewReport
from engine.store.models import Clock, Report
from engine.workflow import ACTIONS, RATINGS, STATE_LABELS_VI, Role, State
from engine.workflow import Clock as Step

# =================================================================================================
# Data: people, places, what citizens write and what agencies answer
# =================================================================================================

FAMILY_NAMES = (
    "Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Trương", "Bùi", "Đặng", "Đỗ", "Ngô",
    "Hồ", "Dương", "Lâm", "Đinh", "Châu", "Lý", "Thạch", "Kim", "Sơn", "Mai", "Tô", "La",
)  # fmt: skip
FAMILY_WEIGHTS = (30, 12, 10, 8, 6, 6, 5, 4, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1)
MALE_MIDDLE = ("Văn", "Văn", "Minh", "Hữu", "Quốc", "Thanh", "Công", "Hoàng", "Tấn", "Phước")
MALE_GIVEN = (
    "An", "Bình", "Cường", "Dũng", "Duy", "Hải", "Hiếu", "Hùng", "Khang", "Khoa", "Lộc", "Long",
    "Nam", "Nghĩa", "Phúc", "Quang", "Sang", "Sơn", "Tài", "Tâm", "Thắng", "Thịnh", "Toàn",
    "Trí", "Trung", "Tuấn", "Vinh", "Út", "Đạt", "Phong",
)  # fmt: skip
FEMALE_MIDDLE = ("Thị", "Thị", "Thị", "Ngọc", "Thanh", "Kim", "Mỹ", "Thu", "Hồng", "Bích")
FEMALE_GIVEN = (
    "Anh", "Châu", "Diễm", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hương", "Lan", "Liên", "Linh",
    "Loan", "Mai", "Ngân", "Nhung", "Oanh", "Phương", "Quyên", "Thảo", "Thủy", "Trang", "Trinh",
    "Tuyết", "Vân", "Vy", "Xuân", "Yến",
)  # fmt: skip
#: Mobile prefixes in use (Viettel, MobiFone, VinaPhone, Vietnamobile); 10 digits in all.
MOBILE_PREFIXES = (
    "032", "033", "034", "035", "036", "037", "038", "039", "086", "096", "097", "098", "070",
    "076", "077", "078", "079", "089", "090", "093", "081", "082", "083", "084", "085", "088",
    "091", "094", "052", "056", "058", "092",
)  # fmt: skip
#: Reserved example domains: a demo database never sends mail to a real person.
EMAIL_DOMAINS = ("example.vn", "example.com", "example.org")

#: The three former provinces merged on 1/7/2025, told apart by the commune code (areas.yaml).
REGION_OF_CODE = (("28756", "ben-tre"), ("29242", "tra-vinh"), ("29551", "vinh-long"))
CITY_STREETS = {
    "vinh-long": (
        "Phạm Thái Bường", "Hoàng Thái Hiếu", "Lê Thái Tổ", "Trần Phú", "Nguyễn Huệ", "Phạm Hùng",
        "Mậu Thân", "2 Tháng 9", "3 Tháng 2", "Đinh Tiên Hoàng", "Lưu Văn Liệt",
        "Trưng Nữ Vương", "Nguyễn Văn Thiệt", "14 Tháng 9",
    ),
    "ben-tre": (
        "Đồng Khởi", "Hùng Vương", "Nguyễn Đình Chiểu", "Ngô Quyền", "Nguyễn Thị Định",
        "Đoàn Hoàng Minh", "30 Tháng 4", "Trần Quốc Tuấn", "Võ Nguyên Giáp",
    ),
    "tra-vinh": (
        "Điện Biên Phủ", "Nguyễn Đáng", "Phạm Ngũ Lão", "Lê Lợi", "Nguyễn Thị Minh Khai",
        "Trần Phú", "Sơn Thông", "Kiên Thị Nhẫn", "Mậu Thân",
    ),
}  # fmt: skip
RURAL_ROADS = {
    "vinh-long": ("Quốc lộ 1", "Quốc lộ 53", "Quốc lộ 54", "Quốc lộ 57", "Quốc lộ 80",
                  "Đường tỉnh 902", "Đường tỉnh 904", "Đường tỉnh 907", "Đường tỉnh 909"),
    "ben-tre": ("Quốc lộ 57", "Quốc lộ 60", "Đường tỉnh 882", "Đường tỉnh 883",
                "Đường tỉnh 885", "Đường tỉnh 887"),
    "tra-vinh": ("Quốc lộ 53", "Quốc lộ 54", "Quốc lộ 60", "Đường tỉnh 911", "Đường tỉnh 912",
                 "Đường tỉnh 914", "Đường tỉnh 915"),
}  # fmt: skip
BUS_ROUTES = {
    "vinh-long": ("Vĩnh Long – Trà Ôn", "Vĩnh Long – Vũng Liêm", "Vĩnh Long – Trà Vinh"),
    "ben-tre": ("Bến Tre – Ba Tri", "Bến Tre – Thạnh Phú", "Bến Tre – Chợ Lách"),
    "tra-vinh": ("Trà Vinh – Duyên Hải", "Trà Vinh – Cầu Kè", "Trà Vinh – Vĩnh Long"),
}
HAMLETS = (
    "Phú Hòa", "Tân Thuận", "Long Thạnh", "An Thới", "Mỹ Hưng", "Bình Lợi", "Hòa Lợi",
    "Thạnh Hưng", "Phước Trinh", "Vĩnh Hòa", "Tân Quy", "Hòa Thuận", "Giồng Găng", "Bến Chùa",
    "Cây Dương", "Rạch Sâu", "Kinh Xáng", "Ô Mịt", "Sóc Ruộng", "Trà Kha",
)  # fmt: skip
RIVERS = (
    "sông Cổ Chiên", "sông Hàm Luông", "sông Ba Lai", "sông Măng Thít", "sông Long Hồ",
    "sông Hậu", "rạch Cái Cam", "kênh Láng Thé", "rạch Cái Nhum", "rạch Cầu Mống",
)  # fmt: skip
TIME_PHRASES = (
    "từ tối qua", "sáng nay", "chiều hôm qua", "mấy ngày nay", "từ đầu tuần", "tối hôm kia",
)  # fmt: skip
#: Tourist spots, with the commune they are in when it is certain (otherwise the report's own).
SPOTS = (
    ("cù lao An Bình", "29584"),
    ("cồn Chim", "29410"),
    ("biển Ba Động", "29516"),
    ("chợ nổi Trà Ôn", "29821"),
    ("khu du lịch sinh thái {noi}", None),
    ("vườn trái cây {noi}", None),
)
#: Rough boxes (lat, lat, lon, lon) around each former province, all inside today's Vĩnh Long.
BOXES = {
    "vinh-long": (9.90, 10.30, 105.80, 106.20),
    "ben-tre": (9.95, 10.30, 106.20, 106.70),
    "tra-vinh": (9.60, 10.05, 105.95, 106.55),
}


@dataclass(frozen=True)
class Template:
    """One kind of report of a sector: what a citizen writes, what the agency answers.

    Both are ``str.format`` templates over the report's fillers (see ``Planner._fillers``); the
    result also gets ``{ngay_xl}``, the day the officer enters it. ``where`` restricts the commune:
    ``xa`` for rural matters, ``phuong`` for city streets, ``spot`` for a tourist spot of
    ``SPOTS`` (``{diem}``), whose commune is the report's when it is known.
    """

    content: str
    result: str
    where: str = "any"


T = Template
TEMPLATES: Mapping[str, tuple[Template, ...]] = {
    "giao-thong-van-tai": (
        T("Mặt {duong} đoạn trước nhà số {so} có ổ gà lớn, sâu khoảng {sau} cm, rộng gần 1 m. "
          "Trời mưa nước đọng che mất ổ gà, {hom} đã có {n_small} người đi xe máy bị té ngã. "
          "Đề nghị cơ quan chức năng sớm sửa chữa.",
          "Ngày {ngay_xl}, đơn vị quản lý đường bộ đã vá ổ gà trên {duong} đoạn trước nhà số {so} "
          "bằng bê tông nhựa, đặt biển cảnh báo trong thời gian thi công. Mặt đường đã được hoàn "
          "trả, xe lưu thông bình thường."),
        T("Đèn tín hiệu giao thông tại ngã tư {duong} gần {cho} bị hỏng, chỉ nhấp nháy đèn vàng "
          "{hom}. Giờ tan trường xe cộ rất đông, nhiều lần suýt xảy ra va chạm.",
          "Ngày {ngay_xl}, đơn vị bảo trì đã thay bộ điều khiển đèn tín hiệu giao thông tại nút "
          "giao trên {duong} gần {cho}; đèn hoạt động bình thường trở lại.", "phuong"),
        T("Dãy đèn chiếu sáng trên {duong}, đoạn từ {cho} đến {truong}, không sáng đã {ngay} ngày "
          "nay (khoảng {n} bóng). Ban đêm đường tối om, học sinh đi học thêm về rất nguy hiểm.",
          "Đơn vị quản lý chiếu sáng công cộng đã kiểm tra, thay {n} bóng đèn hư và sửa tủ điều "
          "khiển trên {duong}; hệ thống chiếu sáng hoạt động trở lại từ tối ngày {ngay_xl}."),
        T("Xe buýt tuyến {tuyen} thường không dừng đón khách tại trạm gần {truong}, tài xế chạy "
          "nhanh, lạng lách; {hom} có xe vượt ẩu suýt tông người đi đường.",
          "Đã làm việc với doanh nghiệp khai thác tuyến xe buýt {tuyen} ngày {ngay_xl}: tài xế vi "
          "phạm bị kiểm điểm, doanh nghiệp cam kết dừng đón trả khách đúng trạm; sẽ kiểm tra đột "
          "xuất trên tuyến trong tháng."),
        T("Cây cầu bắc qua {kenh} ở {ap} xuống cấp nặng, lan can gãy, mặt cầu bong tróc lộ cả "
          "sắt. Mỗi ngày có nhiều học sinh đi qua, người dân rất lo.",
          "Đã phối hợp UBND {xa} khảo sát cầu, cắm biển hạn chế tải trọng và rào tạm lan can bị "
          "gãy ngày {ngay_xl}; cầu được đưa vào kế hoạch sửa chữa năm tới.", "xa"),
        T("Bến đò ở {ap} chở quá số người quy định, không có áo phao cho khách; {hom} đò chở cả "
          "xe máy lẫn người qua {kenh} lúc nước lớn rất nguy hiểm.",
          "Đoàn kiểm tra đã lập biên bản chủ bến đò ngày {ngay_xl}, yêu cầu trang bị đủ áo phao, "
          "niêm yết số người tối đa và không chở quá tải; sẽ tiếp tục kiểm tra định kỳ.", "xa"),
    ),
    "dien": (
        T("Dây điện bị đứt sau cơn giông {hom}, một đầu dây rơi xuống lề {duong} gần {cho}. Khu "
          "vực có nhiều trẻ em qua lại, nguy cơ điện giật rất cao, đề nghị xử lý gấp.",
          "Điện lực khu vực đã cắt điện cô lập, nối lại dây bị đứt và căng lại dây trên {duong} "
          "ngày {ngay_xl}; đã cấp điện trở lại và kiểm tra an toàn hành lang lưới điện khu vực."),
        T("Cột điện số {cot} trước nhà số {so} {duong} bị nghiêng nặng, chân cột nứt, có nguy cơ "
          "ngã đè vào nhà dân khi mưa gió.",
          "Ngày {ngay_xl}, đơn vị quản lý lưới điện đã gia cố móng và dựng thẳng cột điện số "
          "{cot}; cột được đưa vào kế hoạch thay mới trong quý tới."),
        T("Khu vực {ap}, {xa} bị cúp điện liên tục {hom}, mỗi lần hai ba tiếng, điện chập chờn "
          "làm hư tủ lạnh, máy bơm của nhiều hộ mà không có thông báo lịch cắt điện.",
          "Nguyên nhân do máy biến áp khu vực {ap} quá tải. Ngày {ngay_xl} đã lắp thêm một máy "
          "biến áp 250 kVA, điện đã ổn định. Hộ bị hư hỏng thiết bị liên hệ Điện lực khu vực để "
          "được xem xét.", "xa"),
        T("Trạm biến áp gần {truong} phát ra tiếng nổ lớn kèm tia lửa {hom}, dây điện trên trạm "
          "bị cháy sém, người dân lo ngại cháy nổ.",
          "Đã thay bộ cầu chì tự rơi và sứ cách điện hư hỏng của trạm biến áp gần {truong}, vệ "
          "sinh trạm ngày {ngay_xl}; trạm vận hành an toàn."),
        T("Hóa đơn tiền điện tháng này của gia đình tôi ở {ap} tăng gấp ba so với tháng trước dù "
          "sử dụng như bình thường. Tôi nghi đồng hồ điện chạy sai.",
          "Ngày {ngay_xl}, Điện lực đã kiểm tra công tơ điện tại nhà với sự chứng kiến của gia "
          "đình: công tơ hoạt động trong sai số cho phép; sản lượng tăng do chốt chỉ số lệch kỳ, "
          "đã điều chỉnh hóa đơn kỳ sau."),
    ),
    "thong-tin-truyen-thong": (
        T("Cáp quang internet bị đứt, dây thuê bao treo lủng lẳng ngang {duong} trước nhà số {so} "
          "{hom}; xe tải đi qua vướng kéo đứt thêm, cả xóm mất mạng.",
          "Nhà mạng đã nối lại cáp quang, thu hồi dây thuê bao bị võng trên {duong} và treo lại "
          "đúng độ cao quy định; dịch vụ internet khôi phục ngày {ngay_xl}."),
        T("Sóng điện thoại ở {ap}, {xa} rất yếu, thường xuyên mất sóng, gọi không được; học sinh "
          "học trực tuyến bị gián đoạn.",
          "Đã yêu cầu các nhà mạng đo kiểm chất lượng sóng tại {ap}; doanh nghiệp đã điều chỉnh "
          "anten trạm BTS gần nhất ngày {ngay_xl} và đưa trạm mới vào kế hoạch lắp đặt.", "xa"),
        T("Cáp viễn thông của nhiều nhà mạng chằng chịt như mạng nhện trên các cột ở {duong}, có "
          "đoạn võng thấp chỉ khoảng 2 m, vừa mất mỹ quan vừa nguy hiểm.",
          "Đã chủ trì cùng các doanh nghiệp viễn thông bó gọn, chỉnh trang và thu hồi cáp không "
          "sử dụng trên {duong}; hoàn thành ngày {ngay_xl}.", "phuong"),
        T("Nắp bể cáp viễn thông trên vỉa hè {duong} gần {cho} bị vỡ, lộ hố sâu khoảng {sau} cm, "
          "người đi bộ dễ sụp chân.",
          "Doanh nghiệp quản lý bể cáp đã thay nắp bể cáp mới trên vỉa hè {duong} ngày "
          "{ngay_xl}.", "phuong"),
        T("Cột ăng-ten trạm BTS mới dựng sát nhà dân ở {ap} mà không thấy thông báo, người dân lo "
          "ngại ảnh hưởng sức khỏe và an toàn khi mưa bão.",
          "Đã kiểm tra: trạm BTS có giấy phép xây dựng và kết quả kiểm định đạt yêu cầu; đã yêu "
          "cầu doanh nghiệp niêm yết thông tin tại trạm và trao đổi với người dân ngày "
          "{ngay_xl}."),
    ),
    "nong-nghiep-nong-thon": (
        T("Đại lý vật tư nông nghiệp gần {cho} bán phân bón NPK bao bì giống hàng chính hãng "
          "nhưng hạt phân tan chậm, màu lạ, bón lúa không hiệu quả. Nhiều hộ ở {ap} nghi mua phải "
          "phân bón giả.",
          "Đoàn kiểm tra đã lấy mẫu phân bón tại đại lý; kết quả kiểm nghiệm hàm lượng đạm thấp "
          "hơn mức công bố. Ngày {ngay_xl} đã lập biên bản, tạm giữ {n} bao phân và chuyển hồ sơ "
          "xử phạt theo quy định.", "xa"),
        T("Cửa hàng ở {ap} bán thuốc bảo vệ thực vật không có nhãn tiếng Việt, nhiều chai thuốc "
          "trừ sâu đã hết hạn sử dụng.",
          "Ngày {ngay_xl}, đã kiểm tra cửa hàng, tạm giữ {n} chai thuốc bảo vệ thực vật không rõ "
          "nguồn gốc, hết hạn sử dụng và xử phạt vi phạm hành chính chủ cửa hàng.", "xa"),
        T("Ở {ap}, {xa} nhiều hộ nuôi heo có heo bệnh chết rải rác {hom}, có hộ vứt xác heo "
          "xuống {kenh}. Người dân nghi dịch tả heo châu Phi.",
          "Đã lấy mẫu xét nghiệm, tiêu hủy {n} con heo bệnh, phun khử trùng khu vực {ap} ngày "
          "{ngay_xl} và hướng dẫn người dân không vứt xác gia súc ra môi trường.", "xa"),
        T("Đê bao ở {ap} bị sạt lở một đoạn khoảng {n} m, nước mặn tràn vào ruộng lúa và vườn cây "
          "của {n_small} hộ.",
          "Ngày {ngay_xl}, đơn vị thủy lợi đã đắp tạm đoạn đê bao bị sạt và đóng cống ngăn mặn; "
          "đoạn đê được đưa vào kế hoạch gia cố kiên cố.", "xa"),
        T("Nghi một trại heo ở {ap} dùng chất tạo nạc trong thức ăn chăn nuôi, heo xuất chuồng "
          "rất nhanh và nạc bất thường.",
          "Đã lấy mẫu nước tiểu heo và thức ăn chăn nuôi tại trại ngày {ngay_xl}; kết quả không "
          "phát hiện chất cấm. Đã nhắc nhở chủ trại ghi chép đầy đủ nguồn gốc thức ăn.", "xa"),
        T("Lúa ở cánh đồng {ap} bị rầy nâu và đạo ôn gây hại nặng, người dân phun thuốc nhiều "
          "lần không hết, đề nghị cán bộ kỹ thuật xuống hướng dẫn phòng trừ sâu bệnh.",
          "Ngày {ngay_xl}, cán bộ bảo vệ thực vật đã xuống đồng ruộng {ap}, hướng dẫn bà con "
          "phòng trừ rầy nâu, đạo ôn theo nguyên tắc bốn đúng.", "xa"),
    ),
    "khoa-hoc-cong-nghe": (
        T("Nhiều tiểu thương ở {cho} dùng cân điêu, mua 1 kg trái cây về cân lại chỉ còn khoảng "
          "800 g.",
          "Đoàn kiểm tra đo lường đã kiểm tra {n} cân tại {cho} ngày {ngay_xl}, phát hiện "
          "{n_small} cân sai số vượt mức cho phép; đã xử phạt và đặt cân đối chứng tại chợ."),
        T("Cây xăng trên {duong} bơm xăng thiếu: đổ 50.000 đồng nhưng đồng hồ xe chỉ lên rất ít, "
          "nhiều người khác cũng gặp tình trạng tương tự.",
          "Đã kiểm tra đột xuất cửa hàng xăng dầu ngày {ngay_xl}: {n_small} cột đo nhiên liệu sai "
          "số vượt quy định; đã niêm phong cột đo và xử phạt vi phạm hành chính."),
        T("Cửa hàng gần {truong} bán mũ bảo hiểm không có tem hợp quy, giá rất rẻ, mũ mỏng như "
          "đồ chơi.",
          "Ngày {ngay_xl}, đã kiểm tra, tạm giữ {n} mũ bảo hiểm không có dấu hợp quy và xử phạt "
          "chủ cửa hàng; phối hợp nhà trường hướng dẫn phụ huynh chọn mũ đạt chuẩn."),
        T("Cơ sở ở {ap} đóng gói kẹo dừa, bánh tráng bằng bao bì nhái nhãn hiệu đặc sản địa "
          "phương đã được bảo hộ, bán cho khách du lịch.",
          "Đã phối hợp lực lượng quản lý thị trường kiểm tra cơ sở ngày {ngay_xl}, buộc gỡ bỏ bao "
          "bì xâm phạm nhãn hiệu và lập biên bản vi phạm về sở hữu trí tuệ."),
        T("Phòng chụp X-quang của một phòng khám tư trên {duong} không có biển cảnh báo, cửa "
          "phòng để mở khi đang chụp; người dân lo ngại về an toàn bức xạ.",
          "Đã kiểm tra an toàn bức xạ tại phòng khám: thiết bị có giấy phép nhưng thiếu biển cảnh "
          "báo, cửa che chắn chưa đạt; cơ sở đã khắc phục và tái kiểm tra đạt ngày {ngay_xl}.",
          "phuong"),
    ),
    "suc-khoe": (
        T("Khoảng {n} học sinh {truong} bị đau bụng, nôn ói sau bữa trưa ở căng tin của trường "
          "{hom}. Nghi ngộ độc thực phẩm, phụ huynh rất lo lắng.",
          "Đã điều tra vụ việc, lấy mẫu thức ăn lưu; các em học sinh đã được điều trị ổn định và "
          "xuất viện. Bếp ăn căng tin {truong} bị tạm đình chỉ từ ngày {ngay_xl} đến khi bảo đảm "
          "điều kiện an toàn thực phẩm."),
        T("Ở {ap} trong tuần có {n_small} ca sốt xuất huyết, nhiều vũng nước đọng, muỗi rất nhiều "
          "nhưng chưa thấy phun thuốc diệt muỗi.",
          "Trung tâm Y tế khu vực đã khoanh vùng ổ dịch, phun hóa chất diệt muỗi tại {ap} ngày "
          "{ngay_xl} và phối hợp địa phương ra quân diệt lăng quăng."),
        T("Nhà thuốc gần {cho} bán thuốc kháng sinh không cần đơn, còn bán một số loại thuốc "
          "không rõ nguồn gốc, nghi thuốc giả.",
          "Thanh tra Sở Y tế đã kiểm tra nhà thuốc ngày {ngay_xl}, xử phạt hành vi bán thuốc kê "
          "đơn không có đơn và tạm giữ {n} hộp thuốc không rõ nguồn gốc để kiểm nghiệm."),
        T("Trạm y tế {xa} thường đóng cửa trong giờ hành chính; {hom} người dân đưa trẻ đến tiêm "
          "chủng phải chờ hơn {n_small} tiếng mà không có nhân viên y tế.",
          "Đã xác minh và chấn chỉnh trạm y tế {xa}: bố trí lịch trực đủ trong giờ hành chính, "
          "niêm yết lịch tiêm chủng và số điện thoại liên hệ từ ngày {ngay_xl}."),
        T("Trường mầm non ở {ap} có nhiều trẻ bị tay chân miệng nhưng vẫn nhận trẻ bình thường, "
          "chưa thấy khử khuẩn lớp học.",
          "Đã hướng dẫn trường cho trẻ bệnh nghỉ học, khử khuẩn lớp học, đồ chơi ngày {ngay_xl}; "
          "đang theo dõi {n_small} ca bệnh, không có ca chuyển nặng."),
        T("Cơ sở làm bún ở {ap} nghi dùng hóa chất tẩy trắng, nơi sản xuất dơ bẩn, không bảo đảm "
          "an toàn thực phẩm.",
          "Đoàn kiểm tra an toàn thực phẩm đã lấy mẫu bún ngày {ngay_xl}: không phát hiện hàn the "
          "nhưng cơ sở không bảo đảm điều kiện vệ sinh; đã xử phạt và yêu cầu tạm ngừng sản xuất "
          "để khắc phục.", "xa"),
    ),
    "du-lich": (
        T("Tàu du lịch đưa khách tham quan {diem} thu tiền gấp đôi giá niêm yết, không xuất vé, "
          "ra giữa sông còn đòi thêm tiền.",
          "Đã kiểm tra ngày {ngay_xl}, yêu cầu chủ tàu niêm yết giá và bán vé đúng giá, xử phạt "
          "vi phạm hành chính và hoàn trả tiền chênh lệch cho khách.", "spot"),
        T("Tại {diem} có nhiều người chèo kéo khách du lịch, ép mua vé tham quan vườn trái cây và "
          "hàng lưu niệm giá cao.",
          "Đã phối hợp chính quyền địa phương chấn chỉnh tình trạng chèo kéo khách tại {diem}, "
          "lập biên bản {n_small} trường hợp vi phạm ngày {ngay_xl}.", "spot"),
        T("Homestay ở {ap} quảng cáo đạt chuẩn phục vụ khách du lịch nhưng phòng ẩm mốc, không "
          "có bình chữa cháy; khi trả phòng chủ nhà hét giá.",
          "Đã kiểm tra cơ sở lưu trú ngày {ngay_xl}: cơ sở chưa được công nhận đạt chuẩn; yêu cầu "
          "gỡ quảng cáo sai sự thật, trang bị phương tiện phòng cháy chữa cháy và niêm yết giá "
          "phòng.", "xa"),
        T("Khu du lịch sinh thái ở {ap} cho khách chèo xuồng trên {kenh} mà không phát áo phao; "
          "{hom} có du khách bị lật xuồng.",
          "Đã yêu cầu khu du lịch trang bị đủ áo phao, bố trí người cứu hộ tại bến xuồng; dịch "
          "vụ chèo xuồng tạm dừng từ ngày {ngay_xl} đến khi khắc phục xong.", "xa"),
        T("Công ty du lịch tổ chức tour miệt vườn ở {noi} cắt bớt điểm tham quan so với chương "
          "trình đã bán, hướng dẫn viên không đeo thẻ hành nghề.",
          "Đã làm việc với công ty du lịch ngày {ngay_xl}: công ty cắt điểm tham quan không báo "
          "trước; đã xử phạt và yêu cầu hoàn tiền phần dịch vụ không thực hiện cho khách."),
    ),
    "tai-nguyen-nuoc": (
        T("Cá chết hàng loạt nổi trắng trên {kenh} đoạn qua {ap}, nước đổi màu đen và bốc mùi; "
          "các hộ nuôi cá bè rất lo lắng.",
          "Đã lấy mẫu nước {kenh} để phân tích ngày {ngay_xl}: oxy hòa tan thấp do nước thải hữu "
          "cơ; đã truy tìm nguồn thải, yêu cầu cơ sở liên quan ngừng xả và tổ chức vớt, xử lý cá "
          "chết."),
        T("Trên {kenh} gần bến ghe {ap} có váng dầu loang dài hàng trăm mét {hom}, nghi từ ghe "
          "chở xăng dầu bị rò rỉ.",
          "Đã xác định nguồn rò rỉ từ một ghe chở nhiên liệu, yêu cầu khắc phục và dùng phao thấm "
          "dầu thu gom váng dầu trên {kenh} ngày {ngay_xl}; chủ phương tiện bị xử phạt."),
        T("Một cơ sở ở {ap} khoan nhiều giếng khai thác nước ngầm để bán nước, giếng khoan của "
          "các nhà xung quanh bị cạn và nhiễm mặn.",
          "Đã kiểm tra ngày {ngay_xl}: cơ sở khai thác nước dưới đất không có giấy phép; đã xử "
          "phạt và yêu cầu trám lấp {n_small} giếng khoan theo quy định.", "xa"),
        T("Nước {kenh} chỗ trạm bơm cấp nước sinh hoạt ở {ap} đổi màu vàng đục, có mùi lạ, người "
          "dân không dám dùng.",
          "Đã quan trắc chất lượng nguồn nước tại trạm bơm: một số chỉ tiêu vượt ngưỡng do xâm "
          "nhập mặn và phèn; đơn vị cấp nước đã tăng cường xử lý và chở nước sạch cho {n} hộ từ "
          "ngày {ngay_xl}."),
        T("Nhà máy chế biến thủy sản gần {kenh} xả nước thải chưa xử lý ra sông vào ban đêm, gây "
          "ô nhiễm nguồn nước.",
          "Đoàn kiểm tra đột xuất đã lấy mẫu nước thải tại cửa xả ngày {ngay_xl}: vượt quy chuẩn "
          "cho phép; đã lập biên bản, đình chỉ xả thải và buộc cải tạo hệ thống xử lý."),
    ),
    "moi-truong": (
        T("Rác thải sinh hoạt trên {duong} gần {cho} không được thu gom đã {ngay} ngày, chất đống "
          "bốc mùi hôi thối, ruồi nhặng bu đầy.",
          "Đã chỉ đạo đơn vị thu gom dọn sạch điểm rác ngày {ngay_xl}, bố trí lại lịch thu gom "
          "rác hằng ngày và đặt biển cấm đổ rác."),
        T("Có người đốt rác, đốt cả nhựa ở bãi đất trống {ap} vào buổi tối, khói bụi và mùi khét "
          "bay vào nhà dân.",
          "Đã kiểm tra, xử phạt người đốt rác, dọn sạch bãi đất trống ngày {ngay_xl} và giao tổ "
          "dân cư giám sát."),
        T("Trại chăn nuôi heo ở {ap} xả nước thải ra {kenh}, mùi hôi nồng nặc cả ngày lẫn đêm.",
          "Đã kiểm tra ngày {ngay_xl}: hầm biogas của trại không đủ công suất; chủ trại phải xây "
          "dựng hệ thống xử lý và ngừng xả thải ra kênh, sẽ tái kiểm tra sau 30 ngày.", "xa"),
        T("Xưởng cưa gỗ trên {duong} hoạt động đến khuya gây tiếng ồn lớn, bụi gỗ bay sang các "
          "nhà xung quanh.",
          "Đã đo tiếng ồn ngày {ngay_xl}: vượt quy chuẩn vào ban đêm; cơ sở phải hoạt động đúng "
          "giờ quy định, lắp vách cách âm và lưới chắn bụi."),
        T("Xác động vật chết bị vứt xuống {kenh} ở {ap}, bốc mùi hôi thối, ảnh hưởng các hộ còn "
          "dùng nước kênh.",
          "Đã tổ chức vớt, tiêu hủy xác động vật ngày {ngay_xl} và tuyên truyền người dân không "
          "vứt xác động vật xuống kênh rạch."),
        T("Xe tải đổ trộm xà bần, rác thải xây dựng xuống lề {duong} gần {truong} vào ban đêm.",
          "Đã dọn dẹp xà bần ngày {ngay_xl}, lắp camera giám sát tại điểm thường bị đổ trộm và "
          "phối hợp công an xử lý phương tiện vi phạm."),
    ),
}  # fmt: skip

#: Messages that are not field reports at all (Đ6.1: refused at intake), with the IOC's reason.
OUT_OF_SCOPE = (
    ("Nhà hàng xóm ở {ap} xây tường lấn sang đất nhà tôi khoảng nửa mét, hai bên hòa giải ở ấp "
     "không thành, đề nghị giải quyết.",
     "Nội dung là tranh chấp đất đai giữa các hộ, không phải phản ánh hiện trường; đề nghị ông/bà "
     "gửi đơn đến UBND xã, phường để được hòa giải, giải quyết theo quy định."),
    ("Cho tôi hỏi khi nào gia đình được nhận tiền trợ cấp người có công tháng này, tôi ở {ap}.",
     "Nội dung là hỏi về chế độ chính sách, không thuộc phạm vi tiếp nhận phản ánh hiện trường; "
     "đề nghị liên hệ UBND xã, phường nơi cư trú."),
    ("Nhận làm hồ sơ vay vốn nhanh, không cần thế chấp, lãi suất thấp, liên hệ Zalo.",
     "Nội dung quảng cáo, không phải phản ánh hiện trường."),
    ("Tôi tố cáo cán bộ ở {ap} nhận tiền của người dân khi làm hồ sơ.",
     "Nội dung là tố cáo, được giải quyết theo Luật Tố cáo; đề nghị ông/bà gửi đơn đến cơ quan có "
     "thẩm quyền."),
)  # fmt: skip

#: The sector an IOC operator may mistake a report's for; always routed to another agency.
CONFUSED_WITH = {
    "giao-thong-van-tai": "dien",
    "dien": "thong-tin-truyen-thong",
    "thong-tin-truyen-thong": "dien",
    "tai-nguyen-nuoc": "moi-truong",
    "moi-truong": "tai-nguyen-nuoc",
    "nong-nghiep-nong-thon": "moi-truong",
    "khoa-hoc-cong-nghe": "suc-khoe",
    "suc-khoe": "nong-nghiep-nong-thon",
    "du-lich": "giao-thong-van-tai",
}
#: Where the IOC sometimes forwards instead of the routing table's choice, and the note it writes.
#: ``None``: the People's Committee of the report's commune.
OTHER_AGENCY = {
    "dien": ("PCVL", "Sự cố trên lưới điện phân phối: chuyển thẳng Công ty Điện lực Vĩnh Long "
                     "xử lý cho kịp thời."),
    "moi-truong": ("SNNMT", "Nguồn thải là cơ sở sản xuất, vượt khả năng xử lý của UBND xã; "
                            "chuyển Sở Nông nghiệp và Môi trường chủ trì."),
    "giao-thong-van-tai": (None, "Tuyến đường do địa phương quản lý; chuyển UBND xã, phường "
                                 "xử lý."),
}  # fmt: skip

REQUEST_INFO_NOTES = (
    "Đề nghị ông/bà cho biết địa chỉ cụ thể (số nhà, tên đường hoặc ấp, khóm) nơi xảy ra sự việc.",
    "Đề nghị ông/bà bổ sung hình ảnh hiện trường để có cơ sở chuyển cơ quan xử lý.",
    "Đề nghị ông/bà cho biết thời gian xảy ra sự việc và tình trạng hiện nay.",
)
PROVIDE_INFO_TEXTS = (
    "Địa điểm cụ thể: {address}, {xa}.",
    "Tôi đã gửi kèm hình ảnh hiện trường chụp {hom}.",
    "Sự việc vẫn đang tiếp diễn, tôi đã chụp hình gửi kèm.",
)
ABANDONED_REASON = (
    "Quá 05 ngày làm việc người phản ánh không bổ sung thông tin theo yêu cầu; chưa đủ cơ sở để "
    "chuyển xử lý."
)
DUPLICATE_OPENERS = ("Tôi phản ánh thêm: ", "Xin báo lại sự việc: ", "")
#: ``{goc}`` is the code of the original report, known only when the demo runs.
DUPLICATE_REASON = (
    "Trùng nội dung với phản ánh {goc} đang được xử lý; kết quả sẽ được công khai tại phản ánh đó."
)
RETURN_REASON = (
    "Nội dung không thuộc lĩnh vực {sector} do {agency} phụ trách; đề nghị Trung tâm phân loại "
    "lại và chuyển cơ quan có thẩm quyền."
)
ESCALATE_NOTE = (
    "{first} và {second} cùng trả lại, chưa thống nhất cơ quan chủ trì; báo cáo UBND tỉnh xem xét, "
    "chỉ định."
)
DESIGNATE_NOTE = "Theo ý kiến chỉ đạo của UBND tỉnh: giao {first} chủ trì xử lý, {second} phối hợp."
EXTENSION_REASONS = (
    "Vụ việc cần phối hợp nhiều đơn vị, chờ kết quả kiểm nghiệm mẫu.",
    "Cần khảo sát hiện trường và lập dự toán sửa chữa.",
    "Chờ kết quả xét nghiệm của cơ quan chuyên môn.",
    "Mưa nhiều, chưa thi công khắc phục được.",
    "Cần mời chủ cơ sở đến làm việc, lập biên bản.",
)
GRANT_REASON = "Đồng ý gia hạn đến {han}; đề nghị khẩn trương hoàn thành và báo cáo kết quả."
RETURN_TO_OFFICER_NOTES = (
    "Đề nghị bổ sung hình ảnh trước và sau khi khắc phục.",
    "Kết quả chưa nêu rõ thời gian hoàn thành, đề nghị bổ sung.",
    "Đề nghị nêu rõ biện pháp xử lý đối với cơ sở vi phạm.",
)
REVISED_RESULT = "{result} Đã bổ sung hình ảnh hiện trường trước và sau khi xử lý."
EDITED_RESULT = (
    "{result} Cảm ơn ông/bà đã phản ánh; đề nghị tiếp tục theo dõi và thông tin cho cơ quan chức "
    "năng nếu sự việc tái diễn."
)
REPLIES = {
    "khong_hai_long": (
        "Đến nay sự việc vẫn chưa được khắc phục như trả lời, đề nghị kiểm tra lại.",
        "Trả lời chưa nêu rõ thời gian hoàn thành, đề nghị cơ quan cho biết cụ thể.",
        "Tình trạng đã tái diễn sau vài ngày, đề nghị xử lý dứt điểm.",
    ),
    "chap_nhan_duoc": (
        "Xin cho biết khi nào sẽ sửa chữa hoàn chỉnh?",
        "Đề nghị thông báo kết quả xử lý cơ sở vi phạm.",
    ),
}
REOPEN_NOTE = (
    "Người phản ánh cho biết sự việc chưa được khắc phục dứt điểm; đề nghị cơ quan kiểm tra, trả "
    "lời làm rõ."
)
SECOND_RESULT = (
    "Ngày {ngay_xl}, đơn vị đã kiểm tra lại hiện trường theo phản ánh bổ sung của người dân và "
    "khắc phục dứt điểm phần còn tồn tại; tình trạng không còn tái diễn."
)

# -- staff ----------------------------------------------------------------------------------------

IOC_OPERATORS = ("Trần Thị Bình", "Nguyễn Hoàng Nam", "Lê Thị Ngọc Hân", "Võ Minh Khôi")
OPERATOR_ADMIN = "Lê Văn Cường"
#: Officers and leader of each province-level agency; the first names match the CLI's demo
#: accounts. The People's Committees of the communes get generated names.
AGENCY_STAFF: Mapping[str, tuple[tuple[str, ...], str]] = {
    "SXD": (("Phạm Minh Đức", "Trương Văn Lợi"), "Võ Thị Em"),
    "SNNMT": (("Đỗ Văn Khoa", "Lâm Thị Kiều"), "Bùi Thị Lan"),
    "SYT": (("Ngô Văn Phúc", "Huỳnh Thị Mỹ Duyên"), "Trần Quốc Bảo"),
    "SKHCN": (("Phan Thanh Tùng", "Dương Thị Thu Hà"), "Nguyễn Văn Hiếu"),
    "SVHTTDL": (("Đinh Thị Hồng Nhung", "Lý Văn Tâm"), "Hồ Minh Trí"),
    "SCT": (("Châu Văn Lực", "Trần Thị Kim Ngân"), "Lê Hoàng Phong"),
    "PCVL": (("Nguyễn Văn Sáu", "Thạch Sô Phal"), "Phạm Văn Út"),
}


def officer_accounts(agency: str) -> tuple[str, ...]:
    """The usernames of a province-level agency's demo officers, in :data:`AGENCY_STAFF` order:
    ``canbo.sxd``, ``canbo2.sxd`` — the first is the CLI's demo account where it makes one."""
    names, _ = AGENCY_STAFF[agency]
    code = agency.lower()
    return tuple(f"canbo.{code}" if i == 0 else f"canbo{i + 1}.{code}" for i in range(len(names)))


def open_officer_accounts(life: Lifecycle) -> None:
    """Give each officer of :data:`AGENCY_STAFF` an account, so that leaders assign reports to
    accounts (Đ14.3) as they do in use. An account that exists already (the CLI's) is kept; a new
    one gets a random password nobody is told, so it cannot be signed in to."""
    with life.uow.begin() as session:
        for agency, (names, _) in AGENCY_STAFF.items():
            if agency not in life.snapshot.agencies:
                continue
            for name, username in zip(names, officer_accounts(agency), strict=True):
                if find_user(session, username) is None:
                    create_user(
                        session,
                        username,
                        secrets.token_urlsafe(24),
                        Role.OFFICER,
                        display_name=name,
                        agency=agency,
                    )


# -- how stories go -------------------------------------------------------------------------------

#: A report's kind of story and its share of reports.
STORIES = (
    ("handled", 78),
    ("needs_info", 7),
    ("abandoned", 2),
    ("out_of_scope", 3),
    ("duplicate", 2),
    ("returned", 5),
    ("escalated", 3),
)
SECTOR_WEIGHTS = {
    "giao-thong-van-tai": 20,
    "moi-truong": 20,
    "dien": 13,
    "thong-tin-truyen-thong": 9,
    "nong-nghiep-nong-thon": 9,
    "tai-nguyen-nuoc": 8,
    "suc-khoe": 9,
    "khoa-hoc-cong-nghe": 6,
    "du-lich": 6,
}
#: How handling ends against the agency's limit: within it, within a granted extension, or late.
#: The peer service (Huế, 2019–2022): 51.1 % on time, 48.9 % late with an approved extension.
HANDLING = (("on_time", 50), ("extended", 42), ("late", 8))
#: First ratings; some unhappy reporters are answered again and re-rate, so the final mix comes
#: near the peer figure of 77.7 % satisfied or acceptable.
RATING_WEIGHTS = (("hai_long", 45), ("chap_nhan_duoc", 27), ("khong_hai_long", 28))
RATED_SHARE = 0.8
WINDOW = timedelta(days=56)

STATE_LABELS = STATE_LABELS_VI


# =================================================================================================
# The plan: every report and its steps, in memory
# =================================================================================================


@dataclass
class PlannedStep:
    """One action on a report, at a given time, by a given person."""

    at: datetime
    actor: Actor
    action: str
    note: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    #: Index of the plan this report duplicates: its code is filled in when the demo runs.
    duplicate_of: int | None = None


@dataclass
class Plan:
    """One report: what is sent, when, and what happens to it afterwards."""

    new: NewReport
    at: datetime
    steps: list[PlannedStep] = field(default_factory=list)


@dataclass(frozen=True)
class _Report:
    """What the planner knows of a report while writing its story."""

    index: int
    area: Area
    sector: str | None
    template: Template | None
    fillers: dict[str, str]
    #: For a message that is no field report: what it says and why the IOC refuses it.
    refusal: tuple[str, str] | None = None

    @property
    def text(self) -> str:
        """What the citizen writes, filled in."""
        if self.template is not None:
            return self.template.content.format(**self.fillers)
        assert self.refusal is not None
        return self.refusal[0].format(**self.fillers)


class _Story:
    """Appends one report's steps, each a plausible delay after the previous one."""

    def __init__(self, planner: Planner, plan: Plan) -> None:
        self.planner = planner
        self.plan = plan
        self.at = plan.at

    def staff(
        self, actor: Actor, action: str, minutes: int, note: str | None = None, **inputs: Any
    ) -> PlannedStep:
        """A step by staff, ``minutes`` of working time after the previous one."""
        self.at = self.planner.life.calendar.add(self.at, max(minutes, 1))
        step = PlannedStep(self.at, actor, action, note, inputs)
        self.plan.steps.append(step)
        return step

    def citizen(self, action: str, hours: float, **inputs: Any) -> None:
        """A step by the reporter, ``hours`` after the previous one; rarely in the small hours."""
        self.at = self.at + timedelta(minutes=max(int(hours * 60), 1))
        if self.at.hour < 6 and self.planner.rng.random() < 0.8:
            self.at = self.at.replace(hour=6 + self.planner.rng.randint(0, 3))
        reporter = Actor(self.plan.new.name, Role.REPORTER)
        self.plan.steps.append(PlannedStep(self.at, reporter, action, None, inputs))


class Planner:
    """Plans ``count`` reports over the eight weeks before ``end``, from one random generator."""

    def __init__(self, life: Lifecycle, count: int, seed: int, end: datetime) -> None:
        self.life = life
        self.count = count
        self.seed = seed
        self.end = end.astimezone(life.zone)
        self.rng = random.Random(seed)
        self.areas = list(life.snapshot.areas.values())
        self.day = life.calendar.day_minutes
        self._staff: dict[str, tuple[tuple[Actor, ...], Actor]] = {}
        self.stories = _Deck(self.rng, STORIES)
        self.sectors = _Deck(self.rng, tuple(SECTOR_WEIGHTS.items()))
        self.handling = _Deck(self.rng, HANDLING)
        self.ratings = _Deck(self.rng, RATING_WEIGHTS)

    # -- the whole demo ----------------------------------------------------------------------------

    def plans(self) -> list[Plan]:
        plans: list[Plan] = []
        originals: list[_Report] = []  # reports a second citizen may send again
        for index, at in enumerate(self._submission_times()):
            kind = self.stories.draw()
            if kind == "duplicate" and originals:
                plan = self._duplicate(self.rng.choice(originals[-12:]), at)
            else:
                kind = "handled" if kind == "duplicate" else kind
                report = self._report(index, kind)
                plan = Plan(self._reporter_of(report), at)
                self._story(_Story(self, plan), report, kind)
                if report.template is not None:
                    originals.append(report)
            plan.steps = [s for s in plan.steps if s.at <= self.end]
            plans.append(plan)
        cover_every_state(plans, self.life)
        return plans

    def _submission_times(self) -> list[datetime]:
        """Times people send reports: mostly in the day and evening, fewer at weekends."""
        start = self.end - WINDOW
        span = int(WINDOW.total_seconds() // 60) - 30
        times: list[datetime] = []
        while len(times) < self.count:
            at = start + timedelta(minutes=self.rng.randrange(span))
            weight = _hour_weight(at.hour) * (0.6 if at.weekday() >= 5 else 1.0)
            if self.rng.random() < weight:
                times.append(at)
        return sorted(times)

    # -- who and what ------------------------------------------------------------------------------

    def _report(self, index: int, kind: str) -> _Report:
        rng = self.rng
        if kind == "out_of_scope":
            refusal = rng.choice(OUT_OF_SCOPE)
            area, _ = self._area(None)
            return _Report(index, area, None, None, self._fillers(area, None), refusal)
        sector = self.sectors.draw()
        template = rng.choice(TEMPLATES[sector])
        area, spot = self._area(template)
        return _Report(index, area, sector, template, self._fillers(area, spot))

    def _area(self, template: Template | None) -> tuple[Area, str | None]:
        rng = self.rng
        where = template.where if template else "any"
        spot = None
        if where == "spot":
            spot, pinned = rng.choice(SPOTS)
            if pinned is not None and pinned in self.life.snapshot.areas:
                return self.life.snapshot.areas[pinned], spot
            where = "any"
        if where == "any":
            weights = [2 if a.kind == "phuong" else 1 for a in self.areas]
            return rng.choices(self.areas, weights)[0], spot
        kinds = {"xa": ("xa",), "phuong": ("phuong",)}[where]
        return rng.choice([a for a in self.areas if a.kind in kinds]), spot

    def _fillers(self, area: Area, spot: str | None) -> dict[str, str]:
        """The words a template is filled with: streets, hamlets, landmarks of the report's area."""
        rng = self.rng
        region = _region(area.code)
        noi = area.name.split(" ", 1)[1]
        city = area.kind == "phuong"
        if city:
            street = rng.choice(CITY_STREETS[region])
            duong, so = f"đường {street}", str(rng.randint(1, 350))
            unit = "khu phố" if region == "ben-tre" else "khóm"
            ap = f"{unit} {rng.randint(1, 9)}"
            address = f"{so} {street}, {ap}"
        else:
            duong, so = rng.choice(RURAL_ROADS[region]), str(rng.randint(10, 990))
            ap = f"ấp {rng.choice(HAMLETS)}"
            address = ap if rng.random() < 0.5 else f"{duong}, {ap}"
        school = rng.choice(("Trường Tiểu học", "Trường THCS", "Trường THPT", "Trường Mầm non"))
        values = {
            "duong": duong,
            "so": so,
            "ap": ap,
            "noi": noi,
            "xa": f"{area.name[0].lower()}{area.name[1:]}",
            "cho": f"chợ {noi}",
            "truong": f"{school} {noi}",
            "kenh": rng.choice((*RIVERS, f"kênh thủy lợi {ap}")),
            "hom": rng.choice(TIME_PHRASES),
            "n": str(rng.randint(5, 40)),
            "n_small": str(rng.randint(2, 6)),
            "ngay": str(rng.randint(3, 10)),
            "sau": str(rng.randint(10, 40)),
            "cot": str(rng.randint(1, 80)),
            "tuyen": rng.choice(BUS_ROUTES[region]),
            "address": address,
        }
        values["diem"] = (spot or "").format(noi=noi)
        return values

    def _reporter_of(self, report: _Report, opener: str = "") -> NewReport:
        """Who sends it, how, and where exactly: the parts the reporter fills in (Đ5)."""
        rng = self.rng
        name = _person(rng)
        channel = rng.choices(("web", "mobile", "email"), (50, 40, 10))[0]
        email = _email(rng, name) if channel == "email" or rng.random() < 0.35 else None
        lat = lon = None
        if channel == "mobile" or rng.random() < 0.15:
            south, north, west, east = BOXES[_region(report.area.code)]
            lat = round(rng.uniform(south, north), 6)
            lon = round(rng.uniform(west, east), 6)
        secret = rng.random() < 0.02
        return NewReport(
            name=name,
            phone=_phone(rng),
            content=opener + report.text,
            channel=channel,
            email=email,
            reporter_address=(
                f"{report.fillers['ap']}, {report.fillers['xa']}" if rng.random() < 0.5 else None
            ),
            area=report.area.code,
            address=report.fillers["address"],
            latitude=lat,
            longitude=lon,
            sector=report.sector if channel == "web" and rng.random() < 0.15 else None,
            confidential=not secret and rng.random() < 0.10,
            state_secret=secret,
        )

    def _duplicate(self, original: _Report, at: datetime) -> Plan:
        """A second citizen sends a recent report again; the IOC refuses it as a duplicate."""
        plan = Plan(self._reporter_of(original, self.rng.choice(DUPLICATE_OPENERS)), at)
        step = _Story(self, plan).staff(
            self._ioc(), "reject", self._intake_minutes(), reason=DUPLICATE_REASON
        )
        step.duplicate_of = original.index
        return plan

    # -- staff -------------------------------------------------------------------------------------

    def _ioc(self) -> Actor:
        return Actor(self.rng.choice(IOC_OPERATORS), Role.IOC_OPERATOR)

    def staff_of(self, agency: str) -> tuple[tuple[Actor, ...], Actor]:
        """The officers and the leader of ``agency``; a commune's are made up, the same per seed."""
        if agency not in self._staff:
            if agency in AGENCY_STAFF:
                names, leader = AGENCY_STAFF[agency]
            else:
                local = random.Random(f"{self.seed}:{agency}")
                names, leader = (_person(local), _person(local)), _person(local)
            accounts: tuple[str | None, ...] = (
                officer_accounts(agency) if agency in AGENCY_STAFF else (None,) * len(names)
            )
            officers = tuple(
                Actor(n, Role.OFFICER, agency=agency, account=account)
                for n, account in zip(names, accounts, strict=True)
            )
            self._staff[agency] = officers, Actor(leader, Role.LEADER, agency=agency)
        return self._staff[agency]

    def _agency_name(self, code: str) -> str:
        agency = self.life.snapshot.agencies.get(code)
        return agency.name if agency else code

    def _route(self, sector: str, area: Area) -> str:
        decision = self.life.rules.route(sector, area.code)
        if decision is None:
            raise RuntimeError(f"the routing rules send {sector} in {area.code} nowhere")
        return str(decision.value["agency"])

    # -- stories -----------------------------------------------------------------------------------

    def _story(self, story: _Story, report: _Report, kind: str) -> None:
        rng = self.rng
        ioc = self._ioc()
        if report.refusal is not None:
            story.staff(ioc, "reject", self._intake_minutes(), reason=report.refusal[1])
            return
        if kind in ("needs_info", "abandoned"):
            story.staff(ioc, "request_info", rng.randint(10, 60), rng.choice(REQUEST_INFO_NOTES))
            if kind == "abandoned":
                story.staff(
                    ioc, "reject", 5 * self.day + rng.randint(30, 600), reason=ABANDONED_REASON
                )
                return
            text = rng.choice(PROVIDE_INFO_TEXTS).format(**report.fillers)
            story.citizen("provide_info", rng.uniform(1.5, 30), text=text)
        agency = self._intake(story, report, ioc, kind, hurry=kind == "needs_info")
        self._handle(story, report, agency)

    def _intake_minutes(self, hurry: bool = False) -> int:
        """Working minutes to classify: within the 2 h of Đ6.2, now and then late.

        ``hurry``: part of the 2 h went before the reporter was asked for more information.
        """
        if self.rng.random() < 0.08:
            return self.rng.randint(130, 420)
        return self.rng.randint(5, 40) if hurry else self.rng.randint(8, 85)

    def _intake(
        self, story: _Story, report: _Report, ioc: Actor, kind: str, hurry: bool = False
    ) -> str:
        """Classify and forward (Đ6–Đ7), with the detours of returned and escalated reports.

        Returns the agency that finally handles the report.
        """
        rng = self.rng
        assert report.sector is not None
        sector, area = report.sector, report.area
        if kind == "returned":
            wrong = CONFUSED_WITH[sector]
            self._classify_and_forward(story, ioc, wrong, area, divert=False)
            self._return(story, wrong, area)
            story.staff(ioc, "classify", rng.randint(10, 80), sector=sector)
            story.staff(ioc, "forward", rng.randint(3, 30))
            return self._route(sector, area)
        if kind == "escalated":
            first = self._route(sector, area)
            other = CONFUSED_WITH[sector]
            second = self._route(other, area)
            self._classify_and_forward(story, ioc, sector, area, divert=False)
            self._return(story, sector, area)
            story.staff(ioc, "classify", rng.randint(10, 80), sector=other)
            story.staff(ioc, "forward", rng.randint(3, 30))
            self._return(story, other, area)
            names = {"first": self._agency_name(first), "second": self._agency_name(second)}
            story.staff(ioc, "escalate", rng.randint(20, 100), ESCALATE_NOTE.format(**names))
            admin = Actor(OPERATOR_ADMIN, Role.OPERATOR_ADMIN)
            story.staff(
                admin,
                "designate",
                rng.randint(self.day, 3 * self.day),
                DESIGNATE_NOTE.format(**names),
                agency=first,
                committee=rng.random() < 0.5,
            )
            return first
        return self._classify_and_forward(story, ioc, sector, area, hurry=hurry)

    def _classify_and_forward(
        self,
        story: _Story,
        ioc: Actor,
        sector: str,
        area: Area,
        *,
        divert: bool = True,
        hurry: bool = False,
    ) -> str:
        """Classify as ``sector`` and forward; with ``divert``, sometimes to another agency."""
        rng = self.rng
        story.staff(ioc, "classify", self._intake_minutes(hurry), sector=sector)
        agency = self._route(sector, area)
        if divert and sector in OTHER_AGENCY and rng.random() < 0.12:
            other, note = OTHER_AGENCY[sector]
            chosen = other or f"UBND-{area.code}"
            if chosen in self.life.snapshot.agencies and chosen != agency:
                story.staff(ioc, "forward", rng.randint(3, 30), note, agency=chosen)
                return chosen
        story.staff(ioc, "forward", rng.randint(3, 30))
        return agency

    def _return(self, story: _Story, sector: str, area: Area) -> None:
        """The agency the rules chose for ``sector`` says it is not theirs (Đ8.B2)."""
        agency = self._route(sector, area)
        officer = self.rng.choice(self.staff_of(agency)[0])
        reason = RETURN_REASON.format(
            sector=self.life.snapshot.sectors[sector].name, agency=self._agency_name(agency)
        )
        verify = self._verify_minutes(agency, sector)
        story.staff(officer, "return_to_ioc", verify, reason=reason)

    def _verify_minutes(self, agency: str, sector: str | None) -> int:
        """Working minutes to accept or return: within the step's time (the 1 day of Đ8.B2, or an
        override's), now and then late."""
        limit = self.life.step_minutes(Step.VERIFY, agency, sector=sector)
        if self.rng.random() < 0.07:
            return self.rng.randint(limit + 30, max(2 * limit, limit + 30))
        return self.rng.randint(min(30, limit // 2), max(limit - 60, limit // 2))

    def _handle(self, story: _Story, report: _Report, agency: str, *, again: bool = False) -> None:
        """The agency's four steps (Đ8), the leader's approval (Đ9) and publication (Đ10)."""
        rng = self.rng
        officers, leader = self.staff_of(agency)
        officer = rng.choice(officers)
        # From forwarding to acceptance, assignment included.
        verify = self._verify_minutes(agency, report.sector)
        if not again and officer.account and rng.random() < 0.5:
            share = rng.randint(10, max(verify // 2, 11))
            story.staff(leader, "assign", share, officer=officer.account)
            verify -= share
        accepted = story.staff(officer, "accept", verify)
        # The handling clock's length, as the use case will compute it for this agency.
        limit = self.life.step_minutes(Step.HANDLE, agency, sector=report.sector)
        outcome = "on_time" if again else self.handling.draw()
        if outcome == "extended":
            base_due = self.life.calendar.add(accepted.at, limit)
            extra = rng.randint(2, 5) * self.day
            due = self.life.calendar.add(base_due, extra)
            due_text = due.isoformat(timespec="minutes")
            reason = rng.choice(EXTENSION_REASONS)
            asked = int(limit * rng.uniform(0.55, 0.9))
            story.staff(officer, "request_extension", asked, reason=reason, due=due_text)
            granted = GRANT_REASON.format(han=f"{due:%d/%m/%Y}")
            story.staff(
                leader, "grant_extension", rng.randint(20, 240), reason=granted, due=due_text
            )
            working = limit + int(extra * rng.uniform(0.15, 0.85))  # late, but within the extension
        elif outcome == "late":
            working = limit + rng.randint(60, 2 * self.day)
        else:
            working = int(limit * rng.uniform(0.12, 0.95))
        propose_at = self.life.calendar.add(accepted.at, working)
        minutes = max(self.life.calendar.elapsed(story.at, propose_at), 1)
        result = self._result(report, propose_at, again)
        story.staff(officer, "propose_result", minutes, result=result)
        if rng.random() < 0.08:
            note = rng.choice(RETURN_TO_OFFICER_NOTES)
            story.staff(leader, "return_to_officer", self._approve_minutes(), note)
            result = REVISED_RESULT.format(result=result)
            story.staff(officer, "propose_result", rng.randint(60, self.day), result=result)
        if rng.random() < 0.15:
            edited = EDITED_RESULT.format(result=result)
            story.staff(leader, "edit_and_approve", self._approve_minutes(), result=edited)
        else:
            story.staff(leader, "approve", self._approve_minutes())
        publishing = rng.randint(250, 600) if rng.random() < 0.05 else rng.randint(10, 200)
        story.staff(rng.choice((officer, leader)), "publish", publishing)
        self._feedback(story, report, agency, again)

    def _approve_minutes(self) -> int:
        """Working minutes for the leader: within the 1 day of Đ9.2, now and then late."""
        if self.rng.random() < 0.06:
            return self.rng.randint(self.day + 30, 2 * self.day + 240)
        return self.rng.randint(30, self.day - 60)

    def _result(self, report: _Report, at: datetime, again: bool) -> str:
        values = {**report.fillers, "ngay_xl": f"{at.astimezone(self.life.zone):%d/%m/%Y}"}
        if again:
            return SECOND_RESULT.format(**values)
        assert report.template is not None
        return report.template.result.format(**values)

    def _feedback(self, story: _Story, report: _Report, agency: str, again: bool) -> None:
        """The reporter's rating and reply (Đ11.1–2); the IOC sends some back (Đ11.3)."""
        rng = self.rng
        if story.plan.new.state_secret or rng.random() > RATED_SHARE:
            return  # a restricted result is not shown to be rated
        again_weights = (("hai_long", 60), ("chap_nhan_duoc", 30), ("khong_hai_long", 10))
        rating = _weighted(rng, again_weights) if again else self.ratings.draw()
        story.citizen("rate", rng.uniform(2, 72), rating=rating)
        chance = {"khong_hai_long": 0.6, "chap_nhan_duoc": 0.15}.get(rating, 0.0)
        if again or rng.random() >= chance:
            return
        story.citizen("reply", rng.uniform(0.1, 24), text=rng.choice(REPLIES[rating]))
        if rating == "khong_hai_long" and rng.random() < 0.5:
            story.staff(self._ioc(), "reopen", rng.randint(30, self.day), REOPEN_NOTE)
            self._handle(story, report, agency, again=True)


# =================================================================================================
# Every state at least once
# =================================================================================================


def final_state(plan: Plan, life: Lifecycle) -> State:
    """The state the plan leaves its report in (the steps are already cut at the end)."""
    return _states(plan, life)[-1]


def _states(plan: Plan, life: Lifecycle) -> list[State]:
    """The report's state after submission and after each step."""
    new = plan.new
    published = {
        "public": State.PUBLISHED,
        "private": State.ANSWERED_PRIVATELY,
        "restricted": State.RESTRICTED,
    }[life.rules.visibility(new.confidential, new.state_secret).value["level"]]
    states = [State.RECEIVED]
    for step in plan.steps:
        target = published if step.action == "publish" else ACTIONS[step.action].target
        states.append(target or states[-1])
    return states


def cover_every_state(plans: list[Plan], life: Lifecycle) -> None:
    """Make sure each state of the workflow is some report's current state.

    Where none is, the report that most recently *reached* that state is held there: its later
    steps are dropped (only reports whose own state is shared by others are taken, so no state is
    lost on the way). The three publication outcomes come from the reporter's flags: a finished
    report is marked confidential, or state-secret and held at its first publication.
    """
    for state in State:
        finals = Counter(final_state(p, life) for p in plans)
        if finals[state]:
            continue
        if state in (State.ANSWERED_PRIVATELY, State.RESTRICTED):
            _mark_a_published_report(plans, life, state)
            continue
        best: tuple[datetime, Plan, int] | None = None
        for plan in plans:
            own = final_state(plan, life)
            if own is state or finals[own] < 2:
                continue
            for position, reached in enumerate(_states(plan, life)):
                if reached is state:
                    at = plan.steps[position - 1].at if position else plan.at
                    if best is None or at > best[0]:
                        best = (at, plan, position)
                    break
        if best is not None:
            _, plan, position = best
            plan.steps = plan.steps[:position]


def _mark_a_published_report(plans: list[Plan], life: Lifecycle, state: State) -> None:
    """The latest published report becomes confidential (answered privately) or state-secret.

    A state-secret result is not shown, so nobody rates or replies to it: the story ends at its
    first publication.
    """
    published = [p for p in plans if final_state(p, life) is State.PUBLISHED]
    if len(published) < 2:
        return
    plan = published[-1]
    if state is State.ANSWERED_PRIVATELY:
        plan.new = replace(plan.new, confidential=True)
        return
    plan.new = replace(plan.new, state_secret=True)
    first = next(i for i, step in enumerate(plan.steps) if step.action == "publish")
    plan.steps = plan.steps[: first + 1]


# =================================================================================================
# Running the plan through the use cases
# =================================================================================================


def run(life: Lifecycle, plans: Sequence[Plan]) -> list[str]:
    """Submit each planned report and perform its steps; return the codes, in plan order."""
    codes: list[str] = []
    for plan in plans:
        sent = life.submit(plan.new, at=plan.at)
        codes.append(sent.code)
        version = sent.version
        for step in plan.steps:
            inputs = dict(step.inputs)
            if step.duplicate_of is not None:
                original = codes[step.duplicate_of]
                inputs["duplicate_of"] = original
                inputs["reason"] = str(inputs["reason"]).format(goc=original)
            token = sent.tracking_token if step.actor.role is Role.REPORTER else None
            outcome = life.perform(
                step.actor,
                sent.code,
                step.action,
                version=version,
                note=step.note,
                token=token,
                at=step.at,
                **inputs,
            )
            version = outcome.version
    return codes


# =================================================================================================
# Summary
# =================================================================================================


@dataclass(frozen=True)
class DemoSummary:
    """What the demo created, counted from the database afterwards.

    ``late_clocks``: steps that ended past their due time (after any extension) or are still
    running past it at ``end``; ``extended_clocks``: handling clocks with a granted extension.
    """

    reports: int
    by_state: Mapping[str, int]
    by_sector: Mapping[str, int]
    areas: int
    late_clocks: int
    extended_clocks: int
    ratings: Mapping[str, int]
    first: date | None
    last: date | None
    sector_names: Mapping[str, str] = field(default_factory=dict, compare=False)

    def as_lines(self) -> list[str]:
        """The summary in Vietnamese, one line each, for the command line."""
        period = ""
        if self.first and self.last:
            period = f" (gửi từ {self.first:%d/%m/%Y} đến {self.last:%d/%m/%Y})"
        lines = [f"Đã tạo {self.reports} phản ánh mẫu{period}.", "Theo trạng thái:"]
        for state in State:
            if self.by_state.get(state):
                lines.append(f"  {STATE_LABELS[state]:<36} {self.by_state[state]:>4}")
        lines.append("Theo lĩnh vực:")
        for code, count in sorted(self.by_sector.items(), key=lambda item: (-item[1], item[0])):
            name = self.sector_names.get(code, code) if code else "Chưa phân loại"
            lines.append(f"  {name:<36} {count:>4}")
        lines.append(f"Địa bàn: {self.areas} xã, phường có phản ánh.")
        lines.append(
            f"Thời hạn: {self.late_clocks} bước trễ hạn, {self.extended_clocks} bước được gia hạn."
        )
        rated = sum(self.ratings.values())
        if rated:
            good = self.ratings.get("hai_long", 0) + self.ratings.get("chap_nhan_duoc", 0)
            parts = ", ".join(f"{RATINGS[k]} {self.ratings.get(k, 0)}" for k in RATINGS)
            lines.append(
                f"Đánh giá: {parts} — {100 * good / rated:.1f}% hài lòng hoặc chấp nhận được."
            )
        return lines


def summarize(life: Lifecycle, end: datetime) -> DemoSummary:
    """Count what is in the database: reports by state and sector, areas, clocks, ratings."""
    with life.uow.read() as session:
        rows = session.execute(
            select(Report.state, Report.sector, Report.area, Report.rating, Report.submitted_at)
        ).all()
        late = extended = 0
        for clock in session.scalars(select(Clock)):
            extended += bool(clock.extended)
            running_late = (
                clock.stopped_at is None and clock.paused_at is None and clock.due_at < end
            )
            late += bool(clock.late_after_extension) or running_late
        total = session.scalar(select(func.count()).select_from(Report)) or 0
    zone = life.zone
    sent = [r.submitted_at.astimezone(zone).date() for r in rows]
    return DemoSummary(
        reports=total,
        by_state=MappingProxyType(dict(Counter(r.state for r in rows))),
        by_sector=MappingProxyType(dict(Counter(r.sector or "" for r in rows))),
        areas=len({r.area for r in rows if r.area}),
        late_clocks=late,
        extended_clocks=extended,
        ratings=MappingProxyType(dict(Counter(r.rating for r in rows if r.rating))),
        first=min(sent, default=None),
        last=max(sent, default=None),
        sector_names=MappingProxyType({c: s.name for c, s in life.snapshot.sectors.items()}),
    )


def seed(
    life: Lifecycle, reports: int = 240, *, seed: int = 2026, end: datetime | None = None
) -> DemoSummary:
    """Create ``reports`` realistic reports sent over the eight weeks before ``end`` (default now).

    Only the use cases write: ``life.submit`` and ``life.perform`` with explicit times. The same
    ``seed`` and ``end`` give the same reports and states. Meant for an empty database.
    """
    end = (end or life.now()).astimezone(life.zone)
    plans = Planner(life, reports, seed, end).plans()
    open_officer_accounts(life)
    run(life, plans)
    return summarize(life, end)


# =================================================================================================
# Small helpers
# =================================================================================================


class _Deck:
    """Draws from a weighted table like cards from a shuffled deck, refilled when empty.

    Shares then hold closely even in a small demo, where independent draws wander by several
    per cent (140 ratings drawn one by one easily give 72 % or 86 % where 78 % was meant).
    """

    def __init__(self, rng: random.Random, table: Sequence[tuple[str, int]]) -> None:
        self.rng = rng
        self.table = table
        self.cards: list[str] = []

    def draw(self) -> str:
        if not self.cards:
            self.cards = [name for name, weight in self.table for _ in range(weight)]
            self.rng.shuffle(self.cards)
        return self.cards.pop()


def _weighted(rng: random.Random, table: Sequence[tuple[str, int]]) -> str:
    return rng.choices([k for k, _ in table], [w for _, w in table])[0]


def _hour_weight(hour: int) -> float:
    """How likely people send a report at this hour: office hours and evenings."""
    if hour < 6:
        return 0.05
    if hour < 7 or hour >= 22:
        return 0.3
    if 11 <= hour < 13 or 17 <= hour < 19:
        return 0.6
    return 1.0 if hour < 17 else 0.8


def _region(code: str) -> str:
    region = REGION_OF_CODE[0][1]
    for first, name in REGION_OF_CODE:
        if code >= first:
            region = name
    return region


def _person(rng: random.Random) -> str:
    family = rng.choices(FAMILY_NAMES, FAMILY_WEIGHTS)[0]
    if rng.random() < 0.5:
        return f"{family} {rng.choice(MALE_MIDDLE)} {rng.choice(MALE_GIVEN)}"
    return f"{family} {rng.choice(FEMALE_MIDDLE)} {rng.choice(FEMALE_GIVEN)}"


def _phone(rng: random.Random) -> str:
    digits = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**7):07d}"
    if rng.random() < 0.5:
        return f"{digits[:4]} {digits[4:7]} {digits[7:]}"
    return digits


def _ascii(text: str) -> str:
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", text) if c.isascii()).lower()


def _email(rng: random.Random, name: str) -> str:
    parts = _ascii(name).split()
    local = rng.choice(
        (f"{parts[-1]}.{parts[0]}", f"{parts[-1]}{parts[0]}{rng.randint(70, 99)}",
         "".join(p[0] for p in parts[:-1]) + parts[-1])
    )  # fmt: skip
    return f"{local}@{rng.choice(EMAIL_DOMAINS)}"
