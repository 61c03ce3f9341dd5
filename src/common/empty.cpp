// SPDX-License-Identifier: GPL-2.0-or-later
// Stands in for a module folder that has no sources yet (see uplinkd_module in CMakeLists.txt).
