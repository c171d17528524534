// dcmjs ships no type declarations; we use its data API (DicomMessage, DicomDict,
// DicomMetaDictionary) through narrow local casts where it is called.
declare module 'dcmjs';
