// methodStyle: colour and shape cycle independently over the registered methods (7 colours,
// 9 shapes), so the first 63 methods all differ.
#include "widgets/plots/method_style.h"

#include <array>

#include "core/compress/method_descriptor.h"

namespace kvwb::widgets {
namespace {

// Okabe-Ito indices (plot_widget.cpp) without yellow (6): blue, vermillion, green, orange,
// reddish purple, sky blue, black.
constexpr std::array<int, 7> kColours = {0, 1, 2, 3, 4, 5, 7};
constexpr std::array<MarkerShape, 9> kShapes = {
    MarkerShape::Disc,  MarkerShape::Square, MarkerShape::Diamond,
    MarkerShape::Triangle, MarkerShape::TriangleDown, MarkerShape::Cross,
    MarkerShape::Plus,  MarkerShape::Star,   MarkerShape::Circle};

}  // namespace

MethodStyle methodStyle(std::string_view method) {
  const auto& methods = core::methodDescriptors();
  for (std::size_t i = 0; i < methods.size(); ++i)
    if (methods[i]->name == method)
      return {kColours[i % kColours.size()], kShapes[i % kShapes.size()]};
  return {7, MarkerShape::Circle};
}

}  // namespace kvwb::widgets
