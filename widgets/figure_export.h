// Publication figures from any PlotWidget: PDF (QPdfWriter), SVG (QSvgGenerator) and PNG at a size
// in millimetres, a DPI (PNG), and a font family and size; the plots already draw with the
// colour-blind-safe Okabe-Ito palette and viridis / RdBu maps. GUI thread only.
#pragma once

#include <QDialog>
#include <QString>
#include <functional>

class QCPPainter;
class QComboBox;
class QDoubleSpinBox;
class QFontComboBox;
class QLineEdit;
class QSpinBox;

namespace kvwb::widgets {

class PlotWidget;

enum class FigureFormat { Pdf, Svg, Png };

struct FigureOptions {
  double widthMm = 120, heightMm = 80;  // the page (PDF, SVG) or the image at `dpi` (PNG)
  int dpi = 300;                        // PNG only: pixels = mm / 25.4 * dpi
  QString fontFamily;                   // empty: keep the plot's
  double fontPt = 0;  // the tick-label size; every text scales with it (0: keep the plot's, 8 pt)
};

// "pdf", "svg", "png" (any case); sets `ok` to false (and returns Png) for anything else.
FigureFormat figureFormat(const QString& name, bool* ok = nullptr);
QString figureSuffix(FigureFormat format);  // "pdf", "svg", "png"

// Writes a figure of the options' size to `path` as `format`: `paint(painter, width, height,
// vector)` draws it in layout units (96 per inch, width x height) on a painter begun on the file
// (PNG: scaled to the options' DPI; `vector`: PDF or SVG). The painter is a QCPPainter, which
// QCustomPlot's drawing needs and any QPainter code accepts. Returns false with `error` set when
// the size or DPI is not positive or the file cannot be written. Every figure export goes here.
bool writeFigure(const QString& path, FigureFormat format, const FigureOptions& options,
                 const std::function<void(QCPPainter& painter, int width, int height, bool vector)>& paint,
                 QString* error = nullptr);

// Writes `plot` to `path` in `format`, laid out at the figure size (the widget on screen is left as
// it was). Returns false with `error` set when the file cannot be written.
bool exportPlot(PlotWidget& plot, const QString& path, FigureFormat format,
                const FigureOptions& options, QString* error = nullptr);
// The format from the path's suffix (pdf, svg, png).
bool exportPlot(PlotWidget& plot, const QString& path, const FigureOptions& options,
                QString* error = nullptr);

// "Export Figure…": file, format, size, DPI and font; remembers the last choices in QSettings.
class ExportFigureDialog : public QDialog {
  Q_OBJECT

 public:
  explicit ExportFigureDialog(QWidget* parent = nullptr);

  QString path() const;
  FigureFormat format() const;
  FigureOptions options() const;
  void setPath(const QString& path);

  void accept() override;  // saves the choices

 private:
  void browse();

  QLineEdit* m_path;
  QComboBox* m_format;
  QDoubleSpinBox* m_width;
  QDoubleSpinBox* m_height;
  QSpinBox* m_dpi;
  QFontComboBox* m_font;
  QDoubleSpinBox* m_fontPt;
};

// Asks with ExportFigureDialog (a child of `parent`, proposing `suggestedName` in the last used
// folder) and calls `write`; shows a message on failure, and on success where the file went (the
// main window's status bar, else a tooltip over `near`). Returns true when a file was written.
bool exportFigureInteractively(
    const QString& suggestedName, QWidget* parent, QWidget* near,
    const std::function<bool(const QString& path, FigureFormat format, const FigureOptions& options, QString* error)>&
        write);

// Asks with ExportFigureDialog (proposing `suggestedName` in the last used folder) and exports;
// shows a message on failure, and on success where the file went (the main window's status bar,
// else a tooltip over the plot). Returns true when a file was written.
bool exportPlotInteractively(PlotWidget& plot, const QString& suggestedName,
                             QWidget* parent = nullptr);

}  // namespace kvwb::widgets
