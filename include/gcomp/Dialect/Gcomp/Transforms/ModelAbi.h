//===- ModelAbi.h - how the model's signature reaches the C ABI -*- C++ -*-===//
#ifndef GCOMP_DIALECT_GCOMP_TRANSFORMS_MODELABI_H
#define GCOMP_DIALECT_GCOMP_TRANSFORMS_MODELABI_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Types.h"
#include <cstdint>
#include <optional>

namespace gcomp {

/// The ONNX element type code (gcomp_dtype) of an entry argument or result
/// of element type `type`; an explicit `gcomp.elem_type` in its attributes
/// (set by the importer where the builtin type is ambiguous, such as
/// unsigned ints imported as signless) wins. None for unsupported types.
std::optional<int64_t> elementTypeCode(mlir::Type type,
                                       mlir::DictionaryAttr attrs);

} // namespace gcomp

#endif
