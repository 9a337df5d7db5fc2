# The Staging Zone (clients' fund data arrives here) and the R&D Zone (the
# filtered copies Sluice writes). Bucket policies deny, whatever an identity
# policy grants elsewhere in the account: plain HTTP for everyone, reading
# Staging for everyone but Sluice's role, writing R&D for everyone but
# Sluice's role.

locals {
  zone_buckets = {
    staging = var.staging_bucket_name
    rnd     = var.rnd_bucket_name
  }
  sse_algorithm = var.kms_key_arn == null ? "AES256" : "aws:kms"
}

resource "aws_s3_bucket" "zone" {
  for_each = local.zone_buckets

  bucket = each.value
  tags   = { "sluice:zone" = each.key }
}

resource "aws_s3_bucket_ownership_controls" "zone" {
  for_each = aws_s3_bucket.zone

  bucket = each.value.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "zone" {
  for_each = aws_s3_bucket.zone

  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "zone" {
  for_each = aws_s3_bucket.zone

  bucket = each.value.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "zone" {
  for_each = aws_s3_bucket.zone

  bucket = each.value.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = local.sse_algorithm
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = var.kms_key_arn != null
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "zone" {
  for_each = aws_s3_bucket.zone

  bucket = each.value.id

  # The dataset copy writes large objects as multipart uploads and resumes
  # them; parts left behind by an abandoned copy are removed after a week.
  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

data "aws_iam_policy_document" "staging_bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.zone["staging"].arn, "${aws_s3_bucket.zone["staging"].arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "DenyReadExceptSluice"
    effect    = "Deny"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${aws_s3_bucket.zone["staging"].arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = [aws_iam_role.sluice.arn]
    }
  }

  dynamic "statement" {
    for_each = length(var.staging_writer_arns) > 0 ? [var.staging_writer_arns] : []

    content {
      sid       = "DenyWriteExceptUploaders"
      effect    = "Deny"
      actions   = ["s3:PutObject"]
      resources = ["${aws_s3_bucket.zone["staging"].arn}/*"]

      principals {
        type        = "*"
        identifiers = ["*"]
      }

      condition {
        test     = "ArnNotEquals"
        variable = "aws:PrincipalArn"
        values   = statement.value
      }
    }
  }
}

data "aws_iam_policy_document" "rnd_bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.zone["rnd"].arn, "${aws_s3_bucket.zone["rnd"].arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid    = "DenyWriteExceptSluice"
    effect = "Deny"
    actions = [
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:DeleteObjectVersion",
      "s3:AbortMultipartUpload",
    ]
    resources = ["${aws_s3_bucket.zone["rnd"].arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = [aws_iam_role.sluice.arn]
    }
  }
}

resource "aws_s3_bucket_policy" "staging" {
  bucket = aws_s3_bucket.zone["staging"].id
  policy = data.aws_iam_policy_document.staging_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.zone]
}

resource "aws_s3_bucket_policy" "rnd" {
  bucket = aws_s3_bucket.zone["rnd"].id
  policy = data.aws_iam_policy_document.rnd_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.zone]
}
