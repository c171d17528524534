import { pngDataUri, renderMesh, renderSlice, type ConvertModel, type ReportImages, type Volume } from '@scan2print/core';

/** The report's pictures: axial, coronal and sagittal slices with the first model's contour, and a view of each model. */
export function reportImages(volume: Volume, models: ConvertModel[]): ReportImages {
  const labels = models[0]?.labels;
  const slices = (['axial', 'coronal', 'sagittal'] as const).map((plane) => {
    const img = renderSlice(volume, labels, plane);
    return { title: `${plane} slice ${img.index} with the ${models[0]?.name ?? ''} segmentation contour (red)`, dataUri: pngDataUri(img) };
  });
  const views = models.flatMap((m) =>
    (['anterior', 'left'] as const).map((view) => ({ title: `${m.name}: ${view} view (${m.mesh.indices.length / 3} triangles)`, dataUri: pngDataUri(renderMesh(m.mesh, view)) })),
  );
  return { slices, models: views };
}
