"""Device drivers of the hall. They know nothing of queues and import nothing of hallq.

Each driver is an interface plus transports chosen by URL, with an in-memory twin:

* frames   - framed serial protocol of caller keypads, 5-key evaluators, LED strips
             (`SerialLink` over a pyserial URL, `MemoryLink` twin)
* printer  - ESC/POS ticket printer via python-escpos (usb, serial, tcp, file, cups, dummy)
* scanner  - camera / video QR + Code128 scanner (OpenCV + zbar), HID wedge scanner input
* idcard   - second-generation resident ID card reader (SAM_V protocol on serial);
             idcard_sim serves that protocol for tests and demos
* speech   - offline speech (pyttsx3 / espeak-ng), chime, WAV joining

See docs/hardware.md.
"""
