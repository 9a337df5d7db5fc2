# Sluice's role (assumed by its Kubernetes service account through IRSA) and
# the role of the EC2 model servers it launches. The policy documents list
# exactly the AWS actions each one calls; scripts/validate-deploy.sh holds
# them to that list, so a new action is a deliberate change in both places.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  partition = data.aws_partition.current.partition
  account   = data.aws_caller_identity.current.account_id
  ec2_arn   = "arn:${local.partition}:ec2:${var.region}:${local.account}"

  staging_arn = aws_s3_bucket.zone["staging"].arn
  rnd_arn     = aws_s3_bucket.zone["rnd"].arn

  artifact_bucket_arns = [for name in var.artifact_bucket_names : "arn:${local.partition}:s3:::${name}"]
  model_repository_arns = [
    for name in var.model_repositories : aws_ecr_repository.this[name].arn
  ]
  training_repository_arns = [
    for name in var.training_repositories : "arn:${local.partition}:ecr:${var.region}:${local.account}:repository/${name}"
  ]
}

# --- Sluice ---

data "aws_iam_policy_document" "sluice_assume_role" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.oidc_provider_url}:sub"
      values   = ["system:serviceaccount:${var.kubernetes_namespace}:${var.kubernetes_service_account}"]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.oidc_provider_url}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "sluice" {
  name               = var.name_prefix
  description        = "Sluice control plane (IRSA: ${var.kubernetes_namespace}/${var.kubernetes_service_account})"
  assume_role_policy = data.aws_iam_policy_document.sluice_assume_role.json
}

data "aws_iam_policy_document" "sluice" {
  # Dataset copies: list and read the Staging Zone, write the R&D Zone
  # (multipart uploads; a copy first aborts the unfinished uploads a crashed
  # one left under its prefix, which lists them). Listing the artifact
  # buckets makes a missing artifact a 404, not a 403.
  statement {
    sid       = "ListBuckets"
    actions   = ["s3:ListBucket"]
    resources = concat([local.staging_arn], local.artifact_bucket_arns)
  }

  statement {
    sid       = "ListUnfinishedUploads"
    actions   = ["s3:ListBucketMultipartUploads"]
    resources = [local.rnd_arn]
  }

  statement {
    sid       = "ReadStaging"
    actions   = ["s3:GetObject"]
    resources = ["${local.staging_arn}/*"]
  }

  statement {
    sid = "WriteRnD"
    actions = [
      "s3:PutObject",
      "s3:AbortMultipartUpload",
    ]
    resources = ["${local.rnd_arn}/*"]
  }

  # Model versions: the artifact is checked to exist and hashed.
  dynamic "statement" {
    for_each = length(local.artifact_bucket_arns) > 0 ? [local.artifact_bucket_arns] : []

    content {
      sid       = "ReadArtifacts"
      actions   = ["s3:GetObject"]
      resources = [for arn in statement.value : "${arn}/*"]
    }
  }

  # SSE-KMS: S3 encrypts and decrypts with the caller's permissions.
  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]

    content {
      sid       = "UseZoneKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }

  # Deployments: keep `replicas` model server instances tagged
  # sluice:deployment=<id> and sluice:revision=<n>.
  statement {
    sid       = "DescribeInstances"
    actions   = ["ec2:DescribeInstances"]
    resources = ["*"]
  }

  statement {
    sid       = "RunTaggedInstances"
    actions   = ["ec2:RunInstances"]
    resources = ["${local.ec2_arn}:instance/*"]

    condition {
      test     = "Null"
      variable = "aws:RequestTag/sluice:deployment"
      values   = ["false"]
    }
  }

  statement {
    sid     = "RunInstancesIntoModelNetwork"
    actions = ["ec2:RunInstances"]
    resources = concat(
      [
        "arn:${local.partition}:ec2:${var.region}::image/*",
        "${local.ec2_arn}:volume/*",
        "${local.ec2_arn}:network-interface/*",
      ],
      [for id in var.model_server_subnet_ids : "${local.ec2_arn}:subnet/${id}"],
      [for id in var.model_server_security_group_ids : "${local.ec2_arn}:security-group/${id}"],
    )
  }

  statement {
    sid       = "TagOnLaunch"
    actions   = ["ec2:CreateTags"]
    resources = ["${local.ec2_arn}:instance/*", "${local.ec2_arn}:volume/*"]

    condition {
      test     = "StringEquals"
      variable = "ec2:CreateAction"
      values   = ["RunInstances"]
    }
  }

  statement {
    sid       = "RetagOwnInstances"
    actions   = ["ec2:CreateTags"]
    resources = ["${local.ec2_arn}:instance/*"]

    condition {
      test     = "Null"
      variable = "ec2:ResourceTag/sluice:deployment"
      values   = ["false"]
    }
  }

  statement {
    sid       = "TerminateOwnInstances"
    actions   = ["ec2:TerminateInstances"]
    resources = ["${local.ec2_arn}:instance/*"]

    condition {
      test     = "Null"
      variable = "ec2:ResourceTag/sluice:deployment"
      values   = ["false"]
    }
  }

  statement {
    sid       = "PassModelServerRole"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.model_server.arn]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ec2.amazonaws.com"]
    }
  }

  # Model versions and experiments: resolve an image tag to its digest
  # (BatchGetImage, a signed API call; no registry token is needed).
  statement {
    sid       = "ReadImages"
    actions   = ["ecr:BatchGetImage"]
    resources = concat(local.model_repository_arns, local.training_repository_arns)
  }
}

resource "aws_iam_role_policy" "sluice" {
  name   = "sluice"
  role   = aws_iam_role.sluice.id
  policy = data.aws_iam_policy_document.sluice.json
}

# --- Model servers (EC2 instances launched by Sluice) ---

data "aws_iam_policy_document" "model_server_assume_role" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "model_server" {
  name               = "${var.name_prefix}-model-server"
  description        = "Model servers launched by Sluice: pull the image, read the artifact"
  assume_role_policy = data.aws_iam_policy_document.model_server_assume_role.json
}

data "aws_iam_policy_document" "model_server" {
  statement {
    sid       = "EcrToken"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "PullModelImages"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
    ]
    resources = local.model_repository_arns
  }

  dynamic "statement" {
    for_each = length(local.artifact_bucket_arns) > 0 ? [local.artifact_bucket_arns] : []

    content {
      sid       = "ReadArtifacts"
      actions   = ["s3:GetObject"]
      resources = [for arn in statement.value : "${arn}/*"]
    }
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]

    content {
      sid       = "UseKey"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "model_server" {
  name   = "model-server"
  role   = aws_iam_role.model_server.id
  policy = data.aws_iam_policy_document.model_server.json
}

resource "aws_iam_instance_profile" "model_server" {
  name = "${var.name_prefix}-model-server"
  role = aws_iam_role.model_server.name
}
