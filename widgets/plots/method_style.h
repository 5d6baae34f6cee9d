// Each compression method's colour and marker shape, the one place every results plot and every
// exported figure takes them from: the method's position in core::methodDescriptors() picks an
// Okabe-Ito colour (yellow left out: unreadable on white) and a marker shape, so methods differ in
// shape as well as colour. Plain data, any thread.
#pragma once

#include <string_view>

#include "widgets/plots/plot_data.h"

namespace kvwb::widgets {

struct MethodStyle {
  int colour = 0;  // Okabe-Ito palette index (PlotWidget::paletteColour)
  MarkerShape shape = MarkerShape::Disc;
};

// The style of `method`; a method no longer registered (an old project's) is black hollow circles.
MethodStyle methodStyle(std::string_view method);

}  // namespace kvwb::widgets
