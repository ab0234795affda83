"""`make run` on a machine without Qt's X11 libraries prints the apt line, not Qt's abort."""

import pytest

from studio.app import system_libraries
from studio.app.system_libraries import debian_package, install_advice, missing_from_ldd

LDD = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f)
\tlibxcb-cursor.so.0 => not found
\tlibxkbcommon-x11.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb-cursor.so.0 => not found
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)
"""


def test_the_libraries_ldd_cannot_find_are_listed_once_in_order():
    assert missing_from_ldd(LDD) == ["libxcb-cursor.so.0", "libxkbcommon-x11.so.0",
                                     "libxcb-icccm.so.4"]
    assert missing_from_ldd("\tlibc.so.6 => /lib/libc.so.6 (0x1)\n") == []


@pytest.mark.parametrize(("soname", "package"), [
    ("libxcb-cursor.so.0", "libxcb-cursor0"),
    ("libxcb-icccm.so.4", "libxcb-icccm4"),
    ("libxcb-keysyms.so.1", "libxcb-keysyms1"),
    ("libxcb-render-util.so.0", "libxcb-render-util0"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
    ("libX11-xcb.so.1", "libx11-xcb1"),
    ("libEGL.so.1", "libegl1"),
    ("libdbus-1.so.3", "libdbus-1-3"),
    ("libglib-2.0.so.0", "libglib2.0-0"),
])
def test_each_library_is_named_by_the_debian_package_that_ships_it(soname, package):
    assert debian_package(soname) == package


def test_the_advice_is_one_apt_line():
    advice = install_advice(missing_from_ldd(LDD))
    assert "sudo apt-get install -y libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4" in advice


def test_the_app_prints_the_advice_and_exits_2_instead_of_opening(monkeypatch, capsys):
    from studio import cli

    monkeypatch.setattr(system_libraries, "missing_qt_libraries", lambda: ["libxcb-cursor.so.0"])
    assert cli.main([]) == 2
    assert "sudo apt-get install -y libxcb-cursor0" in capsys.readouterr().err


def test_no_check_where_qt_will_not_use_its_x11_plugin(monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert system_libraries.missing_qt_libraries() == []

