// Runs both models through their generated C++ wrappers:
//   app DET_IN DET_OUT MLP_IN MLP_OUT   (raw float32 files)
#include "classifier.h"
#include "detector.h"

#include <cstdio>
#include <fstream>
#include <vector>

template <typename Model, size_t In, size_t Out>
static int run(const char *inPath, const char *outPath) {
  Model model;
  std::vector<float> x(In), y(Out);
  std::ifstream(inPath, std::ios::binary)
      .read(reinterpret_cast<char *>(x.data()), x.size() * sizeof(float));
  if (model.run(std::span<const float>(x), std::span<float>(y)) != GCOMP_OK) {
    std::fprintf(stderr, "%s\n", model.last_error());
    return 1;
  }
  std::ofstream(outPath, std::ios::binary)
      .write(reinterpret_cast<const char *>(y.data()), y.size() * sizeof(float));
  std::printf("%s\n", model.signature_json());
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 5)
    return 2;
  if (run<detector::Model, DETECTOR_INPUT_0_NUM_ELEMENTS,
          DETECTOR_OUTPUT_0_NUM_ELEMENTS>(argv[1], argv[2]))
    return 1;
  return run<classifier::Model, CLASSIFIER_INPUT_0_NUM_ELEMENTS,
             CLASSIFIER_OUTPUT_0_NUM_ELEMENTS>(argv[3], argv[4]);
}
