// DICOM objects sent back to a PACS (issue 15): encapsulated STL/OBJ/MTL and PDF, the report as a PDF.
export * from './study-ref.js';
export * from './encapsulated.js';
export * from './report-pdf.js';
