# install.cmake -- what `cmake --install BUILD [--prefix PREFIX]` puts where
# (docs/library.md):
#
#   bin/trueup                                  the command
#   share/man/man1/trueup.1                     its manual page
#   share/bash-completion/completions/trueup    its bash completion
#   lib/libtrueup.so.VERSION, .so.SOVERSION, .so  the shared library
#   include/trueup/*.h                          its public headers
#   lib/pkgconfig/trueup.pc                     for pkg-config
#   lib/cmake/trueup/trueupConfig.cmake         for find_package(trueup),
#     trueupConfigVersion.cmake, trueupTargets*.cmake   target trueup::trueup
#
# The Ansible module is installed apart (component "ansible",
# modules/CMakeLists.txt). The internal static libraries are not installed.
include(CMakePackageConfigHelpers)

set(TU_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/trueup)

install(TARGETS trueup-cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_BINARY_DIR}/trueup.1
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${CMAKE_BINARY_DIR}/trueup.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME trueup)
install(TARGETS trueup EXPORT trueupTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/trueup
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")

# pkg-config: jansson is in the public header, so it is required; libcurl
# and libyaml are the library's own business (needed only to link it
# statically, which is not installed).
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(TU_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  set(TU_PC_LIBDIR "\${exec_prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(TU_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(TU_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
# The prefix is the one installed to (cmake --install --prefix), known only
# when installing: everything else is filled in now, the prefix then.
set(TU_PC_PREFIX "@TU_PC_PREFIX@")
configure_file(${PROJECT_SOURCE_DIR}/cmake/trueup.pc.in
               ${PROJECT_BINARY_DIR}/trueup.pc.in @ONLY)
install(CODE "
  set(TU_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${PROJECT_BINARY_DIR}/trueup.pc.in\"
                 \"${PROJECT_BINARY_DIR}/install/trueup.pc\" @ONLY)")
install(FILES ${PROJECT_BINARY_DIR}/install/trueup.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# CMake: find_package(trueup 0.1 REQUIRED) -> trueup::trueup
install(EXPORT trueupTargets NAMESPACE trueup::
        DESTINATION ${TU_CMAKE_INSTALL_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/trueupConfig.cmake.in
  ${PROJECT_BINARY_DIR}/trueupConfig.cmake
  INSTALL_DESTINATION ${TU_CMAKE_INSTALL_DIR})
# 0.x: only the same minor version is compatible (the ABI may change).
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(TU_COMPATIBILITY SameMinorVersion)
else()
  set(TU_COMPATIBILITY SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/trueupConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ${TU_COMPATIBILITY})
install(FILES ${PROJECT_BINARY_DIR}/trueupConfig.cmake
              ${PROJECT_BINARY_DIR}/trueupConfigVersion.cmake
        DESTINATION ${TU_CMAKE_INSTALL_DIR})
