# gcomp_add_model(NAME MODEL file [SHAPE input=dims ...] [CPU name] [STATIC]
#                 [SYMBOL_PREFIX prefix | NO_SYMBOL_PREFIX] [OPTIONS ...])
#
# Adds the library target NAME: the model compiled by gcomp (a shared
# library, or with STATIC a static one; either holds the model's runtime)
# plus the generated header NAME.h on its include path, with C declarations
# and the C++ wrapper NAME::Model. The model is recompiled when the model
# file, any of its external data files (through gcomp's depfile), the gcomp
# binary or its runtime changes.
#
#   MODEL          the .onnx file (relative to the current source folder)
#   SHAPE          pins input shapes, like gcomp --shape (repeatable)
#   CPU            the target CPU, like gcomp --mcpu (default: the host's)
#   STATIC         a static library instead of a shared one
#   SYMBOL_PREFIX  prefix of the exported API (default: NAME_, so that any
#                  number of models link into one program: NAME_gcomp_...);
#                  NO_SYMBOL_PREFIX keeps the plain gcomp_* names
#   OPTIONS        any other gcomp flags (e.g. -O3 --threads 1)
function(gcomp_add_model name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "STATIC;NO_SYMBOL_PREFIX"
                        "MODEL;CPU;SYMBOL_PREFIX" "SHAPE;OPTIONS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR
            "gcomp_add_model(${name}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_MODEL)
    message(FATAL_ERROR "gcomp_add_model(${name}): MODEL is required")
  endif()
  if(NOT name MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR
            "gcomp_add_model(${name}): the name must be a C identifier "
            "(it names the header, the C++ namespace and the symbol prefix)")
  endif()
  get_filename_component(model "${ARG_MODEL}" ABSOLUTE
                         BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${model}")
    message(FATAL_ERROR "gcomp_add_model(${name}): no model file '${model}'")
  endif()

  set(dir "${CMAKE_CURRENT_BINARY_DIR}/gcomp_models/${name}")
  file(MAKE_DIRECTORY "${dir}")
  set(header "${dir}/${name}.h")
  set(depfile "${dir}/${name}.d")
  if(ARG_STATIC)
    set(output "${dir}/lib${name}.a")
    set(emit --emit=static-lib)
    set(kind STATIC)
  else()
    set(output "${dir}/lib${name}.so")
    set(emit --emit=so)
    set(kind SHARED)
  endif()

  set(flags)
  foreach(shape IN LISTS ARG_SHAPE)
    list(APPEND flags --shape "${shape}")
  endforeach()
  if(ARG_CPU)
    list(APPEND flags --mcpu "${ARG_CPU}")
  endif()
  if(NOT ARG_NO_SYMBOL_PREFIX)
    if(DEFINED ARG_SYMBOL_PREFIX)
      list(APPEND flags --symbol-prefix "${ARG_SYMBOL_PREFIX}")
    else()
      list(APPEND flags --symbol-prefix "${name}_")
    endif()
  endif()
  list(APPEND flags ${ARG_OPTIONS})

  add_custom_command(
    OUTPUT "${output}" "${header}"
    COMMAND gcomp::gcomp "${model}" -o "${output}" ${emit}
            --emit-header "${header}" -MD -MF "${depfile}" ${flags}
    DEPENDS "${model}" gcomp::gcomp "$<TARGET_FILE:gcomp::gcomp>"
            "$<TARGET_FILE:gcomp::runtime>"
    DEPFILE "${depfile}"
    COMMENT "gcomp: compiling ${ARG_MODEL} into ${name}"
    VERBATIM)
  add_custom_target(${name}_gcomp DEPENDS "${output}" "${header}")

  add_library(${name} ${kind} IMPORTED GLOBAL)
  set_target_properties(${name} PROPERTIES
    IMPORTED_LOCATION "${output}"
    INTERFACE_INCLUDE_DIRECTORIES "${dir}")
  if(ARG_STATIC)
    # The model embeds its runtime, which needs libm and threads.
    set_target_properties(${name} PROPERTIES
      IMPORTED_LINK_INTERFACE_LANGUAGES C
      INTERFACE_LINK_LIBRARIES "m;Threads::Threads")
  else()
    set_target_properties(${name} PROPERTIES IMPORTED_SONAME "lib${name}.so")
  endif()
  add_dependencies(${name} ${name}_gcomp)
endfunction()
