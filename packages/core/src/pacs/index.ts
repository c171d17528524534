// DICOM objects sent back to a PACS (issue 15): encapsulated STL/PDF, report SR.
export {};
