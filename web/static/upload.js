/* The report form's upload on a slow phone: photos shrunk before sending, and a progress bar.
 *
 * Without this script the form posts as it is and the server shrinks the photos; with it:
 * - each photo larger than the server's longest side (the form's data-photo-side, from
 *   portal.yaml's media.max_photo_side) is drawn, the right way up, onto a canvas of that longest
 *   side and re-encoded; a photo already within it is sent as it is (never enlarged), and so is
 *   anything the browser cannot decode (HEIC, videos);
 * - a JPEG keeps its EXIF block (with the orientation set to "upright", since the pixels now
 *   are), so that the server still reads where and when it was taken; the server then removes
 *   every piece of metadata exactly as for a photo sent whole;
 * - the form is sent by XMLHttpRequest, whose upload progress fills the bar; the server's answer
 *   is shown as it would be without the script: its redirect (the report was received) is
 *   followed, and any page it answers with (the form with its errors) replaces this one.
 * Every text shown comes from the page's data-* attributes (already in the visitor's language).
 */
(function () {
  "use strict";

  var QUALITY = 0.85;
  var SHRINKABLE = /^image\/(jpeg|png|webp)$/;
  var ANNOUNCE_STEP = 10;  // the live text speaks every 10 %, the bar moves with every event

  function byId(id) { return document.getElementById(id); }

  /* -- a photo to the longest side ---------------------------------------------------------- */
  function encoded(canvas, type) {
    return new Promise(function (resolve, reject) {
      canvas.toBlob(function (blob) {
        if (blob) { resolve(blob); } else { reject(new Error("canvas.toBlob gave nothing")); }
      }, type, QUALITY);
    });
  }

  function bytesOf(blob) {
    if (blob.arrayBuffer) { return blob.arrayBuffer(); }
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve(reader.result); };
      reader.onerror = function () { reject(reader.error); };
      reader.readAsArrayBuffer(blob);
    });
  }

  /* The JPEG's segments before its image data: [{marker, start, end}], or null if not a JPEG. */
  function segments(bytes) {
    if (bytes.length < 4 || bytes[0] !== 0xFF || bytes[1] !== 0xD8) { return null; }
    var found = [], at = 2;
    while (at + 4 <= bytes.length && bytes[at] === 0xFF) {
      var marker = bytes[at + 1];
      if (marker === 0xFF) { at += 1; continue; }  // a fill byte before the marker
      if (marker === 0xDA || marker === 0xD9) { break; }  // the image data starts
      var end = at + 2 + ((bytes[at + 2] << 8) | bytes[at + 3]);
      found.push({ marker: marker, start: at, end: end });
      at = end;
    }
    return found;
  }

  function isExif(bytes, segment) {
    var tag = [0x45, 0x78, 0x69, 0x66, 0, 0];  // "Exif\0\0"
    return segment.marker === 0xE1 && tag.every(function (b, i) { return bytes[segment.start + 4 + i] === b; });
  }

  /* A copy of the EXIF segment with its orientation (IFD0, tag 0x0112) set to 1, or null. */
  function uprightExif(bytes) {
    var found = (segments(bytes) || []).filter(function (s) { return isExif(bytes, s); })[0];
    if (!found || found.end > bytes.length) { return null; }
    var copy = bytes.slice(found.start, found.end);
    try {
      var view = new DataView(copy.buffer), tiff = 10;
      var little = view.getUint16(tiff) === 0x4949;
      var ifd = tiff + view.getUint32(tiff + 4, little);
      var count = view.getUint16(ifd, little);
      for (var i = 0; i < count; i += 1) {
        var entry = ifd + 2 + i * 12;
        if (view.getUint16(entry, little) === 0x0112) { view.setUint16(entry + 8, 1, little); }
      }
    } catch (e) {
      return null;  // a block that does not parse is left out: the photo is still upright
    }
    return copy;
  }

  /* The re-encoded JPEG with the original's EXIF placed after its JFIF header (if any). */
  function withExif(blob, exif) {
    return bytesOf(blob).then(function (buffer) {
      var bytes = new Uint8Array(buffer);
      var head = (segments(bytes) || []).filter(function (s) { return s.marker === 0xE0; })[0];
      var at = head ? head.end : 2;
      return new Blob([bytes.subarray(0, at), exif, bytes.subarray(at)], { type: "image/jpeg" });
    });
  }

  function decoded(file) {
    try {
      return createImageBitmap(file, { imageOrientation: "from-image" });
    } catch (e) {
      return createImageBitmap(file);  // a browser that does not know the option
    }
  }

  /* The file to send for ``file``: a smaller photo when it is bigger than ``side``, else itself. */
  function shrunk(file, side) {
    if (!side || !SHRINKABLE.test(file.type) || !window.createImageBitmap) {
      return Promise.resolve(file);
    }
    return decoded(file).then(function (bitmap) {
      var longest = Math.max(bitmap.width, bitmap.height);
      if (longest <= side) { bitmap.close(); return file; }
      var scale = side / longest, canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      var context = canvas.getContext("2d");
      context.imageSmoothingQuality = "high";
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close();
      return encoded(canvas, file.type).then(function (blob) {
        if (file.type !== "image/jpeg" || blob.type !== "image/jpeg") { return blob; }
        return bytesOf(file.slice(0, 131072)).then(function (head) {
          var exif = uprightExif(new Uint8Array(head));
          return exif ? withExif(blob, exif) : blob;
        });
      }).then(function (blob) {
        if (blob.size >= file.size) { return file; }  // the server shrinks it the same way
        return new File([blob], file.name, { type: blob.type, lastModified: file.lastModified });
      });
    }).catch(function () { return file; });  // not decodable here: sent whole, as without script
  }

  /* The form's fields, its photos replaced by their shrunk copies (same names, same order). */
  function prepared(form, side) {
    var data = new FormData(form), names = [];
    Array.prototype.forEach.call(form.querySelectorAll("input[type=file][name]"), function (input) {
      if (names.indexOf(input.name) === -1) { names.push(input.name); }
    });
    var work = names.map(function (name) {
      var entries = data.getAll(name);
      return Promise.all(entries.map(function (entry) {
        return entry instanceof File && entry.size ? shrunk(entry, side) : Promise.resolve(entry);
      })).then(function (files) { return { name: name, files: files }; });
    });
    return Promise.all(work).then(function (fields) {
      fields.forEach(function (field) {
        data.delete(field.name);
        field.files.forEach(function (file) {
          if (file instanceof File) { data.append(field.name, file, file.name); } else { data.append(field.name, file); }
        });
      });
      return data;
    });
  }

  /* -- the progress shown ------------------------------------------------------------------- */
  function progress(form) {
    var box = byId("upload-progress"), bar = byId("upload-bar");
    var percent = byId("upload-percent"), status = byId("upload-status");
    var said = -1;
    function text(name, value) {
      return (form.getAttribute("data-msg-" + name) || "").replace("{percent}", value);
    }
    return {
      shrinking: function () {
        box.hidden = false;
        box.classList.remove("failed");
        bar.hidden = false;
        bar.removeAttribute("value");  // indeterminate while the photos are drawn
        percent.textContent = "";
        status.textContent = text("shrinking");
        said = -1;
      },
      sent: function (loaded, total) {
        var value = total ? Math.min(100, Math.floor(loaded * 100 / total)) : 0;
        bar.value = value;
        bar.setAttribute("aria-valuetext", text("progress", value));
        percent.textContent = value + " %";
        var step = value - value % ANNOUNCE_STEP;
        if (step !== said) {
          said = step;
          status.textContent = value >= 100 ? text("waiting") : text("progress", step);
        }
      },
      failed: function () {
        box.classList.add("failed");
        bar.hidden = true;
        percent.textContent = "";
        status.textContent = text("failed");
      }
    };
  }

  /* -- sending ------------------------------------------------------------------------------ */
  function redirected(xhr, action) {
    var answered = (xhr.responseURL || "").split("#")[0];
    return answered !== "" && answered !== action;
  }

  function shown(html) {
    document.open();
    document.write(html);
    document.close();
  }

  function start() {
    var form = byId("report-form");
    if (!form || !byId("upload-progress") || !window.FormData || !window.Promise ||
        !window.XMLHttpRequest || !("upload" in new XMLHttpRequest())) {
      return;  // the plain form stays
    }
    var side = parseInt(form.getAttribute("data-photo-side"), 10) || 0;
    var button = byId("submit-report"), label = button ? button.textContent : "";
    var shows = progress(form), busy = false;
    var action = new URL(form.action, document.baseURI).href.split("#")[0];

    function again() {
      busy = false;
      shows.failed();
      if (button) { button.disabled = false; button.textContent = label; }
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) { return; }
      busy = true;
      shows.shrinking();
      prepared(form, side).then(function (data) {
        var xhr = new XMLHttpRequest();
        xhr.open("POST", action);
        xhr.setRequestHeader("Accept", "text/html");
        xhr.upload.addEventListener("progress", function (e) {
          if (e.lengthComputable) { shows.sent(e.loaded, e.total); }
        });
        xhr.upload.addEventListener("load", function () { shows.sent(1, 1); });
        xhr.addEventListener("load", function () {
          if (redirected(xhr, action)) {
            window.location.assign(xhr.responseURL);
          } else if (xhr.responseText) {
            shown(xhr.responseText);  // the server's own page: the form with its errors
          } else {
            again();
          }
        });
        xhr.addEventListener("error", again);
        xhr.addEventListener("abort", again);
        xhr.addEventListener("timeout", again);
        shows.sent(0, 1);
        xhr.send(data);
      }).catch(again);
    });
    form.setAttribute("data-upload", "on");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
