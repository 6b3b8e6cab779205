# cn_add_plugin(target NAME name SOURCES ... [OUTPUT_DIR dir] [NO_INSTALL])
#
# A loadable connector-host plugin: the shared object NAME.so (no "lib"),
# built against the sdk (cn::sdk), exporting its entry symbol and nothing
# else, with every symbol resolved at link time. It goes to OUTPUT_DIR
# (default: CN_PLUGIN_OUTPUT_DIR if set, else the current binary directory)
# and is installed to CN_PLUGIN_INSTALL_DIR (default
# lib/connector-host/plugins, where an installed connector-host looks)
# unless NO_INSTALL. The same function builds the plugins of this tree and,
# from the installed CMake package (find_package(connector-host)), anyone's.
function(cn_add_plugin target)
  cmake_parse_arguments(P "NO_INSTALL" "NAME;OUTPUT_DIR" "SOURCES" ${ARGN})
  if(NOT P_NAME)
    message(FATAL_ERROR "cn_add_plugin(${target}): NAME is required")
  endif()
  if(NOT P_OUTPUT_DIR)
    if(CN_PLUGIN_OUTPUT_DIR)
      set(P_OUTPUT_DIR ${CN_PLUGIN_OUTPUT_DIR})
    else()
      set(P_OUTPUT_DIR ${CMAKE_CURRENT_BINARY_DIR})
    endif()
  endif()
  if(CN_PLUGIN_INSTALL_DIR)
    set(install_dir ${CN_PLUGIN_INSTALL_DIR})
  else()
    set(install_dir lib/connector-host/plugins)
  endif()
  add_library(${target} MODULE ${P_SOURCES})
  target_link_libraries(${target} PRIVATE cn::sdk)
  if(NOT CN_FUZZ)  # clang leaves the sanitizers' runtime to the program that loads the plugin
    target_link_options(${target} PRIVATE -Wl,--no-undefined)
  endif()
  set_target_properties(${target} PROPERTIES PREFIX "" OUTPUT_NAME ${P_NAME} LIBRARY_OUTPUT_DIRECTORY ${P_OUTPUT_DIR}
                        C_VISIBILITY_PRESET hidden CXX_VISIBILITY_PRESET hidden)
  if(NOT P_NO_INSTALL)
    install(TARGETS ${target} LIBRARY DESTINATION ${install_dir} COMPONENT runtime)
  endif()
endfunction()
