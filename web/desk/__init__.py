"""The processing desk ("bàn xử lý", R2): the staff's face of the service, in Vietnamese.

The blueprint ``desk`` (``url_prefix="/ban-xu-ly"``) is registered by the app factory::

    from web.desk import desk
    app.register_blueprint(desk)

Pages (all for signed-in staff; the sign-in page is the ``auth`` blueprint's):

``/ban-xu-ly``                                    my queues, by role; ``?hang=<key>`` one queue
                                                  in full; filters ``trang-thai``, ``linh-vuc``,
                                                  ``xa``, ``co-quan``, ``qua-han=1``, ``q``
``/ban-xu-ly/phan-anh/<code>``                    a report: its whole story, pictures, map, and
                                                  one form per action allowed now
``/ban-xu-ly/phan-anh/<code>/<action>``           POST: the action (one route for the table)
``/ban-xu-ly/phan-anh/<code>/cong-bo-thong-tin``  POST: disclose the reporter's details (Đ13.7)
``/ban-xu-ly/tim-kiem``                           search with the same filters, paged (``trang``)
``/ban-xu-ly/thong-ke``                            the figures: a leader its agency tree, the
                                                  IOC and province every agency (``tu``, ``den``,
                                                  ``co-quan``); numbers link to the search
``/ban-xu-ly/cong-bo-thong-tin``                  the register of disclosures (admin, auditor)
``/ban-xu-ly/nhat-ky``                            the latest events of every report (admin,
                                                  auditor)
``/ban-xu-ly/xuat-du-lieu``                       export the reports of a period for a state
                                                  body (admin, auditor; POST: the download)
``/ban-xu-ly/tep/<id>``, ``/tep/<id>/nho``        a report's picture and its thumbnail
``/ban-xu-ly/bao-cao-dinh-ky``                    the periodic report to the province (R30):
                                                  built on request, and the kept ones listed
``/ban-xu-ly/bao-cao-dinh-ky/<id>``               a kept periodic report, as a download
"""

from __future__ import annotations

from web.desk import dashboard as _dashboard  # noqa: F401  (registers /thong-ke)
from web.desk import exports as _exports  # noqa: F401 - its routes join the blueprint
from web.desk import periodic  # noqa: F401  (registers its route on the blueprint)
from web.desk import periodic_kept as _periodic_kept  # noqa: F401 - registers the download
from web.desk.views import desk

__all__ = ["desk"]
