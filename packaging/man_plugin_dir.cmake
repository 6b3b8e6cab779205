# cmake -DMAN=file -DFROM=text -DTO=text -P man_plugin_dir.cmake: replaces
# FROM with TO in the man page, literally (help2man read the build tree's
# plugin directory from --help; the page names the installed one).
file(READ "${MAN}" text)
string(REPLACE "${FROM}" "${TO}" text "${text}")
file(WRITE "${MAN}" "${text}")
