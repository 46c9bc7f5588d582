"""Lambda emulation: one context, the function's environment, asynchronous invoke, the S3-event trigger, replay."""
