// Stands in for a module folder that has no sources yet (see uplinkd_module in CMakeLists.txt).
