//===- gcomp-opt.cpp - mlir-opt with gcomp's dialect and passes -----------===//

#include "gcomp/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  gcomp::registerAllDialects(registry);
  gcomp::registerAllPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "gcomp optimizer driver\n", registry));
}
