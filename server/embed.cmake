# Writes a C file holding a JSON file's text, at build time (cmake -P):
#   cmake -DIN=docs/openapi.json -DOUT=openapi_doc.c -DNAME=wardd_openapi_json -P embed.cmake
# gives `const char NAME[]` (NUL-terminated) and `const size_t NAME_len`.
# wardd serves the document from its own binary, never from a path.
file(READ "${IN}" text)
# The indentation goes: a JSON string holds no raw newline, so every
# newline and the spaces after it lie between tokens.
string(REGEX REPLACE "\n *" "" text "${text}")
string(LENGTH "${text}" len)
string(HEX "${text}" hex)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
# 16 bytes a line (CMake's regular expressions have no {n}).
string(REPEAT "0x[0-9a-f][0-9a-f]," 16 line)
string(REGEX REPLACE "(${line})" "\\1\n    " bytes "${bytes}")
file(WRITE "${OUT}.tmp"
     "/* Generated from ${IN} by server/embed.cmake: do not edit. */\n"
     "#include <stddef.h>\n\n"
     "extern const char ${NAME}[];\nextern const size_t ${NAME}_len;\n\n"
     "const char ${NAME}[] = {\n    ${bytes}0x00\n};\n"
     "const size_t ${NAME}_len = ${len};\n")
# Replaced only when it changed: no rebuild of wardd for nothing.
configure_file("${OUT}.tmp" "${OUT}" COPYONLY)
file(REMOVE "${OUT}.tmp")
