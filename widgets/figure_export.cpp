// exportPlot: lays the plot's QCustomPlot out at the figure size in 1/96-inch units on every device
// (so text measured by the screen's font metrics fits what is drawn) and paints it with
// QCustomPlot::toPainter. The one file outside widgets/plots that includes qcustomplot.h.
#include "widgets/figure_export.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QImage>
#include <QLineEdit>
#include <QMainWindow>
#include <QMessageBox>
#include <QPageSize>
#include <QPdfWriter>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStatusBar>
#include <QSvgGenerator>
#include <QToolTip>
#include <cmath>
#include <functional>
#include <vector>

#include "widgets/plots/plot_widget.h"
#include "widgets/plots/qcustomplot_include.h"

namespace kvwb::widgets {
namespace {

constexpr double kLayoutDpi = 96;   // the units the plot is laid out in
constexpr double kBaseFontPt = 8;   // PlotWidget's tick-label size, what FigureOptions::fontPt sets
constexpr double kMmPerInch = 25.4;

double toUnits(double mm, double dpi) { return mm / kMmPerInch * dpi; }

// Sets the family and scaled sizes of every text of a plot for one export, restoring them after.
class FontOverride {
 public:
  FontOverride(QCustomPlot* plot, const FigureOptions& options)
      : m_family(options.fontFamily), m_scale(options.fontPt > 0 ? options.fontPt / kBaseFontPt : 1) {
    if (m_family.isEmpty() && m_scale == 1) return;
    for (QCPLayoutElement* element : plot->plotLayout()->elements(true)) {
      if (auto* rect = qobject_cast<QCPAxisRect*>(element)) {
        for (QCPAxis* axis : rect->axes()) override(axis);
      } else if (auto* text = qobject_cast<QCPTextElement*>(element)) {
        override(text, &QCPTextElement::font, &QCPTextElement::setFont);
      } else if (auto* legend = qobject_cast<QCPLegend*>(element)) {
        override(legend, &QCPLegend::font, &QCPLegend::setFont);
        for (int i = 0; i < legend->itemCount(); ++i)
          override(legend->item(i), &QCPAbstractLegendItem::font, &QCPAbstractLegendItem::setFont);
      } else if (auto* scale = qobject_cast<QCPColorScale*>(element)) {
        override(scale->axis());
      }
    }
    for (int i = 0; i < plot->itemCount(); ++i)
      if (auto* text = qobject_cast<QCPItemText*>(plot->item(i)))
        override(text, &QCPItemText::font, &QCPItemText::setFont);
  }
  ~FontOverride() {
    for (auto it = m_restore.rbegin(); it != m_restore.rend(); ++it) (*it)();
  }
  FontOverride(const FontOverride&) = delete;
  FontOverride& operator=(const FontOverride&) = delete;

 private:
  template <typename Object>
  void override(Object* object, QFont (Object::*get)() const, void (Object::*set)(const QFont&)) {
    const QFont old = (object->*get)();
    QFont font = old;
    if (!m_family.isEmpty()) font.setFamily(m_family);
    if (font.pointSizeF() > 0) font.setPointSizeF(font.pointSizeF() * m_scale);
    (object->*set)(font);
    m_restore.push_back([object, set, old] { (object->*set)(old); });
  }
  void override(QCPAxis* axis) {
    override(axis, &QCPAxis::tickLabelFont, &QCPAxis::setTickLabelFont);
    override(axis, &QCPAxis::labelFont, &QCPAxis::setLabelFont);
  }

  QString m_family;
  double m_scale;
  std::vector<std::function<void()>> m_restore;
};

// Paints `plot` laid out at `width` x `height` layout units onto an active painter.
void paint(QCustomPlot* plot, QCPPainter& painter, int width, int height, bool vectorized) {
  if (vectorized) painter.setMode(QCPPainter::pmVectorized);
  plot->toPainter(&painter, width, height);
}

bool fail(QString* error, const QString& message) {
  if (error) *error = message;
  return false;
}

}  // namespace

FigureFormat figureFormat(const QString& name, bool* ok) {
  const QString n = name.toLower();
  if (ok) *ok = n == QLatin1String("pdf") || n == QLatin1String("svg") || n == QLatin1String("png");
  if (n == QLatin1String("pdf")) return FigureFormat::Pdf;
  if (n == QLatin1String("svg")) return FigureFormat::Svg;
  return FigureFormat::Png;
}

QString figureSuffix(FigureFormat format) {
  switch (format) {
    case FigureFormat::Pdf:
      return QStringLiteral("pdf");
    case FigureFormat::Svg:
      return QStringLiteral("svg");
    case FigureFormat::Png:
      break;
  }
  return QStringLiteral("png");
}

bool writeFigure(const QString& path, FigureFormat format, const FigureOptions& options,
                 const std::function<void(QCPPainter& painter, int width, int height, bool vector)>& paint,
                 QString* error) {
  if (!(options.widthMm > 0 && options.heightMm > 0 && options.dpi > 0))
    return fail(error, QObject::tr("%1: the figure size and DPI must be positive").arg(path));
  const int width = static_cast<int>(std::lround(toUnits(options.widthMm, kLayoutDpi)));
  const int height = static_cast<int>(std::lround(toUnits(options.heightMm, kLayoutDpi)));
  bool written = false;
  switch (format) {
    case FigureFormat::Pdf: {
      QPdfWriter writer(path);
      writer.setCreator(QStringLiteral("KV Workbench"));
      writer.setPageSize(QPageSize(QSizeF(options.widthMm, options.heightMm), QPageSize::Millimeter));
      writer.setPageMargins(QMarginsF(0, 0, 0, 0));
      writer.setResolution(static_cast<int>(kLayoutDpi));
      QCPPainter painter;
      if (!painter.begin(&writer)) break;
      paint(painter, width, height, true);
      written = painter.end();
      break;
    }
    case FigureFormat::Svg: {
      QSvgGenerator generator;
      generator.setFileName(path);
      generator.setResolution(static_cast<int>(kLayoutDpi));
      generator.setSize(QSize(width, height));
      generator.setViewBox(QRect(0, 0, width, height));
      generator.setTitle(QFileInfo(path).completeBaseName());
      QCPPainter painter;
      if (!painter.begin(&generator)) break;
      paint(painter, width, height, true);
      written = painter.end();
      break;
    }
    case FigureFormat::Png: {
      const int pxWidth = static_cast<int>(std::lround(toUnits(options.widthMm, options.dpi)));
      const int pxHeight = static_cast<int>(std::lround(toUnits(options.heightMm, options.dpi)));
      QImage image(pxWidth, pxHeight, QImage::Format_ARGB32);
      const int perMetre = static_cast<int>(std::lround(kLayoutDpi / 0.0254));
      image.setDotsPerMeterX(perMetre);  // fonts drawn in layout units, as measured
      image.setDotsPerMeterY(perMetre);
      image.fill(Qt::white);
      QCPPainter painter(&image);
      painter.scale(static_cast<double>(pxWidth) / width, static_cast<double>(pxHeight) / height);
      paint(painter, width, height, false);
      painter.end();
      image.setDotsPerMeterX(static_cast<int>(std::lround(options.dpi / 0.0254)));
      image.setDotsPerMeterY(static_cast<int>(std::lround(options.dpi / 0.0254)));
      written = image.save(path, "PNG");
      break;
    }
  }
  return written || fail(error, QObject::tr("cannot write the figure %1").arg(path));
}

bool exportPlot(PlotWidget& plot, const QString& path, FigureFormat format,
                const FigureOptions& options, QString* error) {
  QCustomPlot* canvas = plot.canvas();
  bool written = false;
  {
    const FontOverride fonts(canvas, options);
    written = writeFigure(
        path, format, options,
        [&](QCPPainter& painter, int width, int height, bool vector) { paint(canvas, painter, width, height, vector); },
        error);
  }
  canvas->replot(QCustomPlot::rpQueuedReplot);  // back to the widget's own layout and fonts
  return written;
}

bool exportPlot(PlotWidget& plot, const QString& path, const FigureOptions& options,
                QString* error) {
  bool known = false;
  const FigureFormat format = figureFormat(QFileInfo(path).suffix(), &known);
  if (!known)
    return fail(error, QObject::tr("%1: the file name must end in .pdf, .svg or .png").arg(path));
  return exportPlot(plot, path, format, options, error);
}

ExportFigureDialog::ExportFigureDialog(QWidget* parent)
    : QDialog(parent),
      m_path(new QLineEdit(this)),
      m_format(new QComboBox(this)),
      m_width(new QDoubleSpinBox(this)),
      m_height(new QDoubleSpinBox(this)),
      m_dpi(new QSpinBox(this)),
      m_font(new QFontComboBox(this)),
      m_fontPt(new QDoubleSpinBox(this)) {
  setWindowTitle(tr("Export Figure"));
  const QSettings settings;
  const FigureOptions defaults;
  for (const FigureFormat f : {FigureFormat::Pdf, FigureFormat::Svg, FigureFormat::Png})
    m_format->addItem(figureSuffix(f).toUpper(), static_cast<int>(f));
  m_format->setCurrentIndex(settings.value(QStringLiteral("figure/format"), 0).toInt());
  for (QDoubleSpinBox* mm : {m_width, m_height}) {
    mm->setRange(10, 1000);
    mm->setDecimals(1);
    mm->setSuffix(tr(" mm"));
  }
  m_width->setValue(settings.value(QStringLiteral("figure/widthMm"), defaults.widthMm).toDouble());
  m_height->setValue(
      settings.value(QStringLiteral("figure/heightMm"), defaults.heightMm).toDouble());
  m_dpi->setRange(36, 2400);
  m_dpi->setValue(settings.value(QStringLiteral("figure/dpi"), defaults.dpi).toInt());
  m_font->setCurrentFont(QFont(
      settings.value(QStringLiteral("figure/font"), QFont().family()).toString()));
  m_fontPt->setRange(4, 24);
  m_fontPt->setDecimals(1);
  m_fontPt->setSuffix(tr(" pt"));
  m_fontPt->setValue(settings.value(QStringLiteral("figure/fontPt"), kBaseFontPt).toDouble());
  auto* browse = new QPushButton(tr("Browse…"), this);
  connect(browse, &QPushButton::clicked, this, &ExportFigureDialog::browse);
  // The DPI only matters for PNG; the suffix follows the format.
  auto formatChanged = [this] {
    m_dpi->setEnabled(format() == FigureFormat::Png);
    if (m_path->text().isEmpty()) return;
    const QFileInfo info(m_path->text());
    m_path->setText(QDir(info.path()).filePath(info.completeBaseName() + QLatin1Char('.') +
                                               figureSuffix(format())));
  };
  connect(m_format, &QComboBox::currentIndexChanged, this, formatChanged);
  m_dpi->setEnabled(format() == FigureFormat::Png);

  m_path->setMinimumWidth(60 * m_path->fontMetrics().averageCharWidth());  // a whole path shows
  auto* file = new QHBoxLayout;
  file->addWidget(m_path, 1);
  file->addWidget(browse);
  auto* form = new QFormLayout;
  form->addRow(tr("File:"), file);
  form->addRow(tr("Format:"), m_format);
  form->addRow(tr("Width:"), m_width);
  form->addRow(tr("Height:"), m_height);
  form->addRow(tr("Resolution (PNG):"), m_dpi);
  form->addRow(tr("Font:"), m_font);
  form->addRow(tr("Font size:"), m_fontPt);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
  connect(buttons, &QDialogButtonBox::accepted, this, &ExportFigureDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &ExportFigureDialog::reject);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(buttons);
}

QString ExportFigureDialog::path() const { return m_path->text(); }

FigureFormat ExportFigureDialog::format() const {
  return static_cast<FigureFormat>(m_format->currentData().toInt());
}

FigureOptions ExportFigureDialog::options() const {
  FigureOptions o;
  o.widthMm = m_width->value();
  o.heightMm = m_height->value();
  o.dpi = m_dpi->value();
  o.fontFamily = m_font->currentFont().family();
  o.fontPt = m_fontPt->value();
  return o;
}

void ExportFigureDialog::setPath(const QString& path) {
  m_path->setText(path);
  m_path->setCursorPosition(0);  // the folder shows, not only the file name's end
}

void ExportFigureDialog::browse() {
  const QString suffix = figureSuffix(format());
  const QString chosen = QFileDialog::getSaveFileName(
      this, tr("Export Figure"), m_path->text(),
      tr("%1 files (*.%2)").arg(suffix.toUpper(), suffix));
  if (!chosen.isEmpty()) m_path->setText(chosen);
}

void ExportFigureDialog::accept() {
  if (m_path->text().isEmpty()) return;
  QSettings settings;
  settings.setValue(QStringLiteral("figure/format"), m_format->currentIndex());
  settings.setValue(QStringLiteral("figure/widthMm"), m_width->value());
  settings.setValue(QStringLiteral("figure/heightMm"), m_height->value());
  settings.setValue(QStringLiteral("figure/dpi"), m_dpi->value());
  settings.setValue(QStringLiteral("figure/font"), m_font->currentFont().family());
  settings.setValue(QStringLiteral("figure/fontPt"), m_fontPt->value());
  settings.setValue(QStringLiteral("figure/folder"), QFileInfo(m_path->text()).path());
  QDialog::accept();
}

bool exportFigureInteractively(
    const QString& suggestedName, QWidget* parent, QWidget* near,
    const std::function<bool(const QString& path, FigureFormat format, const FigureOptions& options, QString* error)>&
        write) {
  ExportFigureDialog dialog(parent);
  const QString folder =
      QSettings().value(QStringLiteral("figure/folder"), QDir::homePath()).toString();
  dialog.setPath(
      QDir(folder).filePath(suggestedName + QLatin1Char('.') + figureSuffix(dialog.format())));
  if (dialog.exec() != QDialog::Accepted) return false;
  QString error;
  if (!write(dialog.path(), dialog.format(), dialog.options(), &error)) {
    QMessageBox::warning(parent, dialog.windowTitle(), error);
    return false;
  }
  // Say where it went: in the main window's status bar, else beside the widget.
  const QString saved =
      QObject::tr("Figure saved: %1").arg(QDir::toNativeSeparators(dialog.path()));
  if (auto* window = qobject_cast<QMainWindow*>(near->window()))
    window->statusBar()->showMessage(saved, 10000);
  else
    QToolTip::showText(near->mapToGlobal(near->rect().center()), saved, near);
  return true;
}

bool exportPlotInteractively(PlotWidget& plot, const QString& suggestedName, QWidget* parent) {
  return exportFigureInteractively(
      suggestedName, parent, &plot,
      [&](const QString& path, FigureFormat format, const FigureOptions& options, QString* error) {
        return exportPlot(plot, path, format, options, error);
      });
}

}  // namespace kvwb::widgets
